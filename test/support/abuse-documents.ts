/**
 * The worst documents we know how to write against this schema, each at most ~95 kB (the
 * body limit is 100 kB): what the abuse test and the abuse benchmark send. Each comes in the
 * size that made the code before stall and, where the token or length cap would stop it
 * first, in a size just under the cap, so that the check behind the cap is exercised too. `expect` is the code
 * each is refused with; none of them executes anything.
 */
export interface AbuseDocument {
  name: string;
  query: string;
  expect: 'QUERY_TOO_COMPLEX' | 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED';
}

const BODY = 95_000;
const fill = (unit: string, bytes = BODY) => unit.repeat(Math.floor(bytes / unit.length));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const list = (n: number, item: (i: number) => string) => range(n).map(item).join(' ');

/** Fragment i spreads fragment i+1 `width` times: width^levels selections once spread. */
function fragmentBomb(levels: number, width: number, type = 'Query', field = '__typename', root = '{ ...f0 }'): string {
  const defs = list(levels, (i) => `fragment f${i} on ${type} { ${field} ${`...f${i + 1} `.repeat(width)}}`);
  return `${root} ${defs} fragment f${levels} on ${type} { ${field} }`;
}

/** `copies` same-named fields at each level of a chain of types: graphql-js compares copies^2 pairs per level, multiplied down the chain. */
function sameNameTree(chain: string[], copies: number, leaf: string): string {
  const [field, ...rest] = chain;
  if (!field) return leaf;
  return `${field} { ${range(copies).map(() => sameNameTree(rest, copies, leaf)).join(' ')} }`;
}

/** Distinct fragments at each level of a chain, each spreading all of the next level's. */
function fragmentTree(width: number): string {
  const levels: [string, string][] = [['MemberConnection', 'edges'], ['MemberEdge', 'node'], ['Member', 'tierHistory'], ['TierChange', 'fromTier'], ['Tier', 'benefits'], ['Benefit', 'history']];
  const spreads = (i: number) => list(width, (j) => `...L${i}_${j}`);
  const defs = levels.map(([type, field], i) =>
    list(width, (j) => `fragment L${i}_${j} on ${type} { ${field} { ${i + 1 < levels.length ? spreads(i + 1) : 'version'} } }`));
  return `{ members { ${spreads(0)} } } ${defs.join(' ')}`;
}

const MEMBER_FIELDS = ['id', 'displayName', 'email', 'phone', 'birthday', 'gender', 'region', 'channel', 'joinedAt', 'tierSince', 'pointsBalance', 'pendingPoints', 'lifetimePoints', 'churnRisk', 'aliveProbability', 'externalId', 'tierExpiresAt', 'lifecycleStage'];

export const abuseDocuments: AbuseDocument[] = [
  // The issue's 2 KB request: exponential for a depth or cost walk that re-walks spreads.
  { name: 'fragment bomb, 40 levels of 2 spreads', query: fragmentBomb(40, 2), expect: 'QUERY_TOO_COMPLEX' },
  { name: 'fragment bomb inside __schema', query: fragmentBomb(40, 2, '__Schema', '__typename', '{ __schema { ...f0 } }'), expect: 'QUERY_TOO_COMPLEX' },
  { name: 'wide fragment bomb, 8 levels of 300 spreads', query: fragmentBomb(8, 300, 'Tier', 'code'), expect: 'QUERY_TOO_COMPLEX' },
  { name: 'wide fragment bomb, 6 levels of 40 spreads', query: fragmentBomb(6, 40, 'Tier', 'code'), expect: 'QUERY_TOO_COMPLEX' },
  { name: 'fragment tree, 6 levels of 5 fragments', query: fragmentTree(5), expect: 'QUERY_TOO_COMPLEX' },
  // The issue's 95 KB request: quadratic in OverlappingFieldsCanBeMerged.
  { name: 'one field 19,000 times', query: `{ tiers { ${fill('code ')} } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'one field 900 times', query: `{ tiers { ${'code '.repeat(900)} } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'same-named fields twice at each of 7 levels', query: `{ ${sameNameTree(['members', 'edges', 'node', 'tierHistory', 'fromTier', 'benefits', 'history'], 2, 'version')} }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'one alias on 150 fields', query: `{ ${'a: tiers { code } '.repeat(150)} }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '2,700 aliases', query: `{ ${list(2700, (i) => `a${i}: program { tierNoticeDays }`)} }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '150 aliases', query: `{ ${list(150, (i) => `a${i}: tiers { code }`)} }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '__schema 30 times', query: `{ ${list(30, (i) => `s${i}: __schema { types { name fields { name type { name ofType { name } } } } }`)} }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'introspection lists nested 3 deep', query: '{ __type(name: "Member") { fields { type { ofType { fields { type { ofType { fields { name } } } } } } } } }', expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '5,000 directives', query: `{ tiers { code ${fill('@include(if: true) ')} } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '120 directives', query: `{ tiers { code ${'@skip(if: false) '.repeat(120)} } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'fields nested 14,000 deep', query: `${fill('{ a ', BODY * 0.6)}${'}'.repeat(Math.floor(BODY * 0.6 / 4))}`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'fields nested 300 deep', query: `{ ${'me { '.repeat(300)} id ${'} '.repeat(300)} }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'inline fragments nested 150 deep', query: `{ tiers { ${'... on Tier { code '.repeat(150)}${'} '.repeat(150)} } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'inline fragments nested 90 deep, 18 names 5 times', query: `{ me { ${MEMBER_FIELDS.flatMap((f) => range(5).map(() => `... on Member { ${f} `)).join('')}${'} '.repeat(90)} } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'list value nested 47,000 deep', query: `{ tiers(x: ${fill('[', BODY / 2)}${fill(']', BODY / 2)}) { code } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: 'list value nested 450 deep', query: `{ tiers(x: ${'['.repeat(450)}${']'.repeat(450)}) { code } }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '95 kB of tokens', query: `{ ${fill('__typename ')} }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '100 fragments spread in one selection', query: `{ tiers { ${list(100, (i) => `...g${i}`)} } } ${list(99, (i) => `fragment g${i} on Tier { code }`)} fragment g99 on Tier { nope }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  // Validation compares the fields each pair of fragments brings to one selection set: the square of the document.
  { name: '52 fragments asking for one field with selections', query: `{ ${list(52, (i) => `...p${i}`)} } ${list(52, (i) => `fragment p${i} on Query { program { timeZone pointsPerUnit qualificationWindowMonths tierValidityMonths downgradePolicy allowNegativeBalance pointsPendingDays tierNoticeDays } }`)}`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '25 fragments with a field of its own each', query: `{ tiers { ${list(25, (i) => `...h${i}`)} } } ${list(24, (i) => `fragment h${i} on Tier { c${i}: code }`)} fragment h24 on Tier { nope }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '1,800 unknown fields with long names', query: `{ ${list(1800, (i) => `memberz${i}x${'y'.repeat(30)}`)} }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '900 unknown fields', query: `{ ${list(900, (i) => `memberz${i}x${'y'.repeat(12)}`)} }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '95 kB string', query: `{ tiers(code: "${'x'.repeat(BODY)}") { code } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '30 kB string', query: `{ tiers(code: "${'x'.repeat(30_000)}") { code } }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '75 kB block string', query: `{ tiers(code: """${fill('  x\n', 75_000)}""") { code } }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '30 kB block string', query: `{ tiers(code: """${fill('  x\n', 30_000)}""") { code } }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '95 kB comment', query: `{ tiers { code } } #${'x'.repeat(BODY)}\n{ nope }`, expect: 'QUERY_TOO_COMPLEX' },
  { name: '30 kB comment', query: `{ tiers { code } } #${'x'.repeat(30_000)}\n{ nope }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '2,000 operations', query: list(2000, (i) => `query q${i} { tiers { code } }`), expect: 'QUERY_TOO_COMPLEX' },
  { name: '120 operations sharing a fragment', query: `${list(120, (i) => `query q${i} { ...F }`)} fragment F on Query { tiers { nope } }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '200 unused variables', query: `query(${list(200, (i) => `$v${i}: Int`)}) { tiers { code } }`, expect: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'pages of pages', query: '{ members(first: 100) { edges { node { pointsHistory(first: 100) { edges { node { id } } } redemptions(first: 100) { edges { node { id } } } } } } }', expect: 'QUERY_TOO_COMPLEX' },
  { name: 'syntax error after 900 tokens', query: `{ me { ${'id '.repeat(900)}`, expect: 'GRAPHQL_PARSE_FAILED' },
];
