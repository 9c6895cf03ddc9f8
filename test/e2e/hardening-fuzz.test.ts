import fc from 'fast-check';
import {
  buildSchema, getNamedType, isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType, isObjectType,
  type GraphQLField, type GraphQLInputType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema,
} from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createLadder, registerMember } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';

/**
 * Random documents built from the schema's real fields (with random arguments, variables and
 * ids) and random garbage, sent to the real API as anonymous, member, service and admin. Every
 * answer must be a client error or a result: never a 5xx, never INTERNAL_SERVER_ERROR, never a
 * stack trace or SQL. FUZZ_RUNS and FUZZ_SEED replay a failure.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const LEAK = /\n\s+at |at Object\.|at async |\.[jt]s:\d+|node_modules|postgres|\bselect\b|\binsert into\b|\bupdate\b.*\bset\b|\bdelete from\b|syntax error at or near|violates|relation "|column "/i;

type Role = 'anonymous' | 'member' | 'service' | 'admin';
interface Request { role: Role; query: unknown; variables?: unknown; raw?: string }

const schema: GraphQLSchema = buildSchema(readFileSync(join(__dirname, '../../schema/schema.graphql'), 'utf8'));
let s: TestServer;
let tokens: Record<Role, string | null>;
let ids: string[];

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  const members = [await registerMember(s, { displayName: 'Fuzz One' }), await registerMember(s, { displayName: 'Fuzz Two' })];
  const { upsertReward } = await s.admin('mutation { upsertReward(input: { code: "FUZZ", name: "Fuzz", costPoints: 10 }) { id } }');
  const { saveSegment } = await s.admin('mutation { saveSegment(input: { name: "Fuzz", filter: {} }) { id } }');
  ids = [...members, upsertReward.id, saveSegment.id];
  tokens = { anonymous: null, member: await s.token('member', members[0]), service: await s.token('service'), admin: await s.token('admin') };
});
afterAll(() => s.stop());

// --- values ------------------------------------------------------------------------------

const garbageString = fc.oneof(
  fc.string(), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('', ' ', '\u0000', 'a\u0000b', "'; drop table member; --", '%', '\\', '"', '{}', 'null', '-1', '1e309', '２０２４'),
  fc.integer({ min: 1, max: 5000 }).map((n) => 'x'.repeat(n)),
);
const anId = () => fc.oneof(
  fc.constantFrom(...ids), fc.constant(randomUUID()), fc.uuid(), garbageString,
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '1', '0', '-1', '9'.repeat(40)),
);
/** Values of the right type with hostile contents (they reach the resolvers), and, when wild, of any type. */
const tame = {
  Int: () => fc.oneof(fc.integer({ min: -5, max: 200 }), fc.integer(), fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 0)),
  Float: () => fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e300, -1e300, 0.1, 129.9, 1e12, 5e-324), fc.integer()),
  DateTime: () => fc.oneof(
    fc.date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') }).map((d) => d.toISOString()),
    fc.constantFrom('0001-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-02-28T23:59:59.999+14:00'),
  ),
  String: () => garbageString, ID: anId, Boolean: () => fc.boolean(),
};
const wildExtra = {
  Int: () => fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e12, 1.5, '12'),
  Float: () => fc.constantFrom('1.5', 'NaN', true),
  DateTime: () => fc.constantFrom('0000-01-01', '2026-02-30T00:00:00Z', 'yesterday', '2025-01-01', '+275760-09-13T00:00:00Z', 0, -1e15),
};
const scalarFor = (name: string, wild: boolean) => {
  const right = (tame as Record<string, () => fc.Arbitrary<unknown>>)[name] ?? (() => garbageString);
  const wrong = (wildExtra as Record<string, () => fc.Arbitrary<unknown>>)[name];
  return wild && wrong ? () => fc.oneof(right(), wrong()) : right;
};

/**
 * A JSON value for a variable of this type: of the right shape (with hostile contents: NUL
 * bytes, ids that are not UUIDs, dates out of range, huge numbers) so that it reaches the
 * resolvers, or when `wild`, sometimes of any shape.
 */
function valueFor(g: fc.GeneratorValue, type: GraphQLInputType, wild: boolean, depth = 0): unknown {
  if (wild && g(fc.integer, { min: 0, max: 7 }) === 0) return g(fc.jsonValue, { maxDepth: 2 });
  if (isNonNullType(type)) return valueFor(g, type.ofType, wild, depth);
  if (g(fc.integer, { min: 0, max: 9 }) === 0) return null;
  if (isListType(type)) return Array.from({ length: g(fc.integer, { min: 0, max: 3 }) }, () => valueFor(g, type.ofType, wild, depth + 1));
  if (isEnumType(type)) return g(fc.constantFrom, ...type.getValues().map((v) => v.name), ...(wild ? ['NOPE'] : []));
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) || g(fc.boolean)) value[field.name] = depth > 3 ? null : valueFor(g, field.type, wild, depth + 1);
    }
    return value;
  }
  return g(scalarFor(type.name, wild));
}

// --- documents ---------------------------------------------------------------------------

interface Built { variables: Record<string, unknown>; declarations: string[]; wild: boolean }

function argumentsFor(g: fc.GeneratorValue, field: GraphQLField<unknown, unknown>, built: Built): string {
  const args = field.args.filter((a) => isNonNullType(a.type) || g(fc.boolean));
  if (!args.length) return '';
  return `(${args.map((a) => {
    const name = `v${built.declarations.length}`;
    built.declarations.push(`$${name}: ${a.type.toString()}`);
    built.variables[name] = valueFor(g, a.type, built.wild);
    return `${a.name}: $${name}`;
  }).join(', ')})`;
}

function selectionFor(g: fc.GeneratorValue, type: GraphQLNamedType, built: Built, depth: number): string {
  if (isLeafType(type) || !isObjectType(type)) return '';
  const fields = Object.values((type as GraphQLObjectType).getFields());
  // Indices, not the fields: fast-check compares a generator's arguments, and schema objects are a graph.
  const picked = g(fc.subarray, fields.map((_, i) => i), { minLength: 1, maxLength: Math.min(fields.length, depth > 2 ? 2 : 4) }).map((i) => fields[i]);
  return `{ ${picked.map((f) => {
    const alias = g(fc.integer, { min: 0, max: 9 }) === 0 ? `a${built.declarations.length}: ` : '';
    const sub = depth > 4 ? (isLeafType(getNamedType(f.type)) ? '' : '{ __typename }') : selectionFor(g, getNamedType(f.type), built, depth + 1);
    return `${alias}${f.name}${argumentsFor(g, f, built)} ${sub}`;
  }).join(' ')} }`;
}

function operationFor(g: fc.GeneratorValue, wild: boolean): Built & { query: string } {
  const root = g(fc.integer, { min: 0, max: 2 }) < 2 ? schema.getQueryType()! : schema.getMutationType()!;
  const built: Built = { variables: {}, declarations: [], wild };
  const selection = selectionFor(g, root, built, 1);
  const keyword = root === schema.getMutationType() ? 'mutation' : 'query';
  const query = `${keyword}${built.declarations.length ? `(${built.declarations.join(', ')})` : ''} ${selection}`;
  return { ...built, query };
}

/** Garbage: a real operation cut, spliced, retyped or drowned in random tokens. */
function garbleOf(g: fc.GeneratorValue, query: string): string {
  switch (g(fc.integer, { min: 0, max: 5 })) {
    case 0: return query.slice(0, g(fc.integer, { min: 0, max: query.length }));
    case 1: return query.replace(/: \w+!?\)/, `: ${g(fc.constantFrom, 'Int', 'String', '[ID]', 'Nope', 'RecordPurchaseInput')})`);
    case 2: return `${query} ${g(fc.string, { maxLength: 40 })}`;
    case 3: return g(fc.array, fc.constantFrom('{', '}', '(', ')', '[', ']', ':', '$v', '...', 'on', 'query', 'me', 'members', 'first', '1', '"x"', '@skip', '!', '=', '#'), { maxLength: 60 }).join(' ');
    case 4: return g(fc.string, { maxLength: 200 });
    default: return query.replace(/\bid\b/, g(fc.constantFrom, '__typename', 'nope', 'id id id', '__schema { types { name } }'));
  }
}

const requests: fc.Arbitrary<Request> = fc.gen().map((g) => {
  const role = g(fc.constantFrom, 'anonymous', 'member', 'member', 'service', 'admin', 'admin') as Role;
  const kind = g(fc.integer, { min: 0, max: 15 });
  const op = operationFor(g, kind < 8);
  switch (kind) {
    case 0: return { role, query: garbleOf(g, op.query), variables: op.variables };
    case 1: return { role, query: op.query, variables: g(fc.jsonValue, { maxDepth: 3 }) };
    case 2: return { role, query: g(fc.jsonValue, { maxDepth: 2 }), variables: op.variables };
    case 3: return { role, query: op.query, raw: g(fc.constantFrom, '{', '{"query": }', '[]', '[{}]', 'null', '"x"', '{"query": "{ me { id } }", "variables": "x"}', '\u0000', '{"query": "{ me { id } }"') };
    default: return { role, query: op.query, variables: op.variables };
  }
});

// --- the property ------------------------------------------------------------------------

async function send(req: Request): Promise<{ status: number; text: string }> {
  const token = tokens[req.role];
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: req.raw ?? JSON.stringify({ query: req.query, variables: req.variables }),
  });
  return { status: res.status, text: await res.text() };
}

/** What is wrong with an answer, or null. */
function problemWith(status: number, text: string): string | null {
  if (status >= 500) return `HTTP ${status}`;
  if (LEAK.test(text)) return `leak: ${LEAK.exec(text)![0]}`;
  let body: { errors?: { message: string; extensions?: { code?: unknown } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  for (const e of body.errors ?? []) {
    if (e.extensions?.code === 'INTERNAL_SERVER_ERROR') return 'INTERNAL_SERVER_ERROR';
    if (typeof e.extensions?.code !== 'string') return `error without a code: ${e.message}`;
  }
  return null;
}

describe('fuzz: random documents, variables and ids as every role', () => {
  it(`${RUNS} requests: no 5xx, no INTERNAL_SERVER_ERROR, no stack or SQL`, async () => {
    await fc.assert(fc.asyncProperty(requests, async (req) => {
      const { status, text } = await send(req);
      const problem = problemWith(status, text);
      if (problem) throw new Error(`${problem}\nanswer: ${text.slice(0, 400)}`);
    }), { numRuns: RUNS, seed: SEED });
  }, 300_000); // 1000 requests: 117 s at load 12 (2 cores shared)

  it('random ids in the segment export path are 4xx', async () => {
    await fc.assert(fc.asyncProperty(anId(), async (id) => {
      const res = await fetch(`${s.url}/exports/segments/${encodeURIComponent(String(id))}.csv`, { headers: { authorization: `Bearer ${tokens.admin}` } });
      const text = await res.text();
      if (res.status >= 500 || LEAK.test(text)) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    }), { numRuns: 50, seed: SEED });
  });
});
