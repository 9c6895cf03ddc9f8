import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { keyset } from './pagination';

/**
 * PostgreSQL resolves a bare name in ORDER BY to an output column before an input column. A
 * select list holding `id::text` (output column "id", text) and `order by id` therefore sorts
 * ids as text: 1, 10, 100, 11, …, 2 (issue 17, item 1). This scans every SQL string in src/ and
 * bench/ for that shape, so that an edit cannot bring it back unnoticed: order by the table's
 * column, qualified (`t.id`), or by keyset() (src/common/pagination.ts).
 */

const IDENT = '[a-z_][a-z0-9_]*';
/** A select (or returning) item that is a text cast of a column, with its alias if any: its output column is text. */
const TEXT_ITEM = new RegExp(`(?:\\bselect\\s+(?:distinct\\s+)?|\\breturning\\s+|,\\s*)(?:${IDENT}\\.)?(${IDENT})::(?:text|varchar)\\b(?!\\s*\\[)(?:\\s+as\\s+"?(${IDENT})"?)?(?=\\s*(?:,|\\)|\\bfrom\\b|$))`, 'g');
/** Any expression cast to text under an alias: `max(id)::text as id`. */
const TEXT_ALIAS = new RegExp(`::(?:text|varchar)\\s+as\\s+"?(${IDENT})"?`, 'g');
const ENDS_ORDER_BY = /^(limit|offset|for|fetch|union|except|intersect|returning|select|from|where|window|group|having)\b/;

/** Output columns of this SQL whose values are text casts. */
function textOutputs(sql: string): Set<string> {
  const names = new Set<string>();
  for (const m of sql.matchAll(TEXT_ITEM)) names.add((m[2] ?? m[1]).toLowerCase());
  for (const m of sql.matchAll(TEXT_ALIAS)) names.add(m[1].toLowerCase());
  return names;
}

/** The items of each ORDER BY, as written (without asc/desc/nulls). */
function orderByItems(sql: string): string[] {
  const items: string[] = [];
  for (const m of sql.matchAll(/\border\s+by\s+/g)) {
    let depth = 0;
    let item = '';
    for (let i = m.index + m[0].length; i <= sql.length; i++) {
      const c = sql[i] ?? ';';
      const ends = c === ';' || (c === ')' && depth === 0) || (depth === 0 && /\W/.test(sql[i - 1]) && ENDS_ORDER_BY.test(sql.slice(i)));
      if (ends || (c === ',' && depth === 0)) {
        items.push(item.trim().replace(/\s+nulls\s+(first|last)$/, '').replace(/\s+(asc|desc)$/, '').trim());
        item = '';
        if (ends) break;
        continue;
      }
      if (c === '(') depth++;
      if (c === ')') depth--;
      item += c;
    }
  }
  return items;
}

/** Bare ORDER BY names that PostgreSQL takes for a text output column of the same statement text. */
export function textOrderings(sql: string): string[] {
  const text = sql.toLowerCase().replace(/--[^\n]*/g, ' ').replace(/\s+/g, ' ');
  const outputs = textOutputs(text);
  return orderByItems(text).map((i) => i.replace(/^"|"$/g, '')).filter((i) => new RegExp(`^${IDENT}$`).test(i) && outputs.has(i));
}

// ---- the SQL strings of the code: every string and template literal, constants interpolated ----

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Literal { file: string; line: number; node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateExpression }

function literalsOf(files: string[]): { literals: Literal[]; constants: Map<string, Literal['node']> } {
  const literals: Literal[] = [];
  const constants = new Map<string, Literal['node']>();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
        literals.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, node });
        if (ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)) constants.set(node.parent.name.text, node);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { literals, constants };
}

/** A literal's text; `${NAME}` of a string constant becomes its text, other interpolations a placeholder. */
function textOf(node: Literal['node'], constants: Map<string, Literal['node']>, depth = 0): string {
  if (!ts.isTemplateExpression(node)) return node.text;
  return node.head.text + node.templateSpans.map((span) => {
    const c = ts.isIdentifier(span.expression) ? constants.get(span.expression.text) : undefined;
    return (c && depth < 5 ? textOf(c, constants, depth + 1) : ' __expr__ ') + span.literal.text;
  }).join('');
}

const root = join(__dirname, '..', '..');
const { literals, constants } = literalsOf([...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'bench'))]);
const sql = literals.map((l) => ({ at: `${relative(root, l.file)}:${l.line}`, text: textOf(l.node, constants) }))
  .filter((l) => /\border\s+by\b/i.test(l.text));

describe('ORDER BY never sorts ids as text', () => {
  it('finds the shape it is for (and not its fixes)', () => {
    expect(textOrderings('select id::text, member_id as "memberId" from point_transaction where id < ? order by id desc limit ?')).toEqual(['id']);
    expect(textOrderings('select t.id::text from tier_change t order by t.occurred_at, id')).toEqual(['id']);
    expect(textOrderings('select id, seq::text, member_id from redemption order by seq desc')).toEqual(['seq']);
    expect(textOrderings('select max(id)::text as id from outbox group by topic order by id')).toEqual(['id']);
    expect(textOrderings('with c as (insert into t (a) values (1) returning id::text) select * from c order by id')).toEqual(['id']);
    expect(textOrderings('select t.id::text from point_transaction t order by t.id desc')).toEqual([]);
    expect(textOrderings('select id::text as "txnId" from point_transaction order by id')).toEqual([]);
    expect(textOrderings('select id from outbox order by id')).toEqual([]);
    expect(textOrderings(`select min(member_id::text)::uuid from ins group by kind order by member_id`)).toEqual([]);
  });

  it('reads the SQL of src/ and bench/, constants interpolated', () => {
    expect(sql.length).toBeGreaterThan(30);
    expect(sql.some((s) => /select id::text, member_id as "memberId", kind/.test(s.text))).toBe(true); // CHANGE_COLUMNS interpolated
  });

  it('no statement in src/ or bench/ orders by a bare name its select list casts to text', () => {
    const found = sql.flatMap((s) => textOrderings(s.text).map((name) => `${s.at}: order by ${name}`));
    expect(found).toEqual([]);
  });

  it('keyset() orders and compares on a qualified column only', () => {
    expect(keyset('t.id', 'desc', '10')).toEqual({ where: '(?::bigint is null or t.id < ?::bigint)', orderBy: 'order by t.id desc', params: ['10', '10'] });
    expect(keyset('m.seq', 'asc', null).where).toBe('(?::bigint is null or m.seq > ?::bigint)');
    expect(() => keyset('id', 'asc', null)).toThrow(/qualify/);
  });
});
