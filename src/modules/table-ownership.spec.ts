import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * A table is read and written by the module that owns it (the one whose entity declares it), and
 * another module asks its service; what crosses on purpose is one statement that would otherwise
 * be one call per member or a round trip more on a hot path, noted where it is (docs/decisions.md
 * "The layout: tables, resolvers, rules"; docs/architecture.md "Tables"). This holds the
 * crossings to the list below: SQL in a module's code (comments left out) that names another
 * module's table fails here until it is added, with its note where it is; a crossing that is gone
 * must leave the list. The scan reads the table names after `join`, `into`, `update`, `exists`
 * and each item of a `from` list (comma joins, and `from:` properties, too), in src/; a file at
 * the top of src/ or src/modules/ counts as a module of its own. Not read: the migrations'
 * functions and triggers, and a table name built at run time.
 */
const CROSSINGS: Record<string, string[]> = {
  'benefits': ['member', 'member_tag', 'tag', 'tier', 'tier_change'],
  'campaigns': ['activity', 'activity_rule', 'check_in', 'member', 'point_lot', 'point_transaction', 'program', 'purchase', 'redemption', 'referral', 'refund', 'reward', 'tier_change'],
  // The export reads every table that holds the member's rows, and the erasure scrubs them (README, "Member data rights").
  'data-rights': [
    'activity', 'audit_entry', 'birthday_grant', 'campaign', 'campaign_award', 'campaign_member', 'check_in', 'lifecycle_transition', 'member',
    'member_retention', 'member_tag', 'point_account', 'point_allocation', 'point_lot', 'point_transaction', 'purchase', 'qualifying_entry',
    'redemption', 'referral', 'refund', 'reward', 'tag', 'tier', 'tier_change', 'tier_notice', 'webhook_event',
  ],
  'db': ['activity_rule', 'member', 'point_account', 'point_lot', 'redemption', 'reward', 'tier'],
  'imports': ['audit_entry', 'member', 'point_account', 'point_lot', 'point_transaction', 'program', 'purchase', 'qualifying_entry', 'tier', 'tier_change'],
  'members': ['benefit', 'member_tag', 'point_account', 'point_lot', 'program', 'qualifying_entry', 'tag', 'tier'],
  'points': ['campaign_award', 'member', 'redemption', 'referral'],
  'program': ['benefit_version', 'campaign', 'tier'],
  'referrals': ['member', 'point_lot', 'program'],
  'retention': ['member', 'point_account', 'point_lot', 'point_transaction', 'program', 'purchase', 'refund', 'tier'],
  'rewards': ['member', 'tier'],
  'segments': ['member_retention', 'member_tag', 'point_account', 'tag', 'tier'],
  'tiers': ['activity', 'member', 'program', 'purchase', 'qualifying_entry'],
  'webhooks': ['member', 'referral'],
};

const SRC = join(__dirname, '..');
const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
const files = walk(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts'));
/** src/modules/<name>/… is <name>'s; src/<dir>/… is <dir>'s (events, jobs, db); a file at the top of src/ or src/modules/ is its own (any table it names is a crossing). */
const moduleOf = (file: string): string => {
  const parts = relative(SRC, file).split(sep);
  if (parts[0] === 'modules') return parts.length > 2 ? parts[1] : parts.join('/');
  return parts.length > 1 ? parts[0] : parts.join('/');
};
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

const NAME = '"?([a-z_][a-z0-9_]*)"?';
/** An item of a from list: a table, its alias (`as` or not), what follows up to the next comma of the list. */
const FROM_LIST = new RegExp(`\\bfrom\\s*:?\\s*['"\`]?\\s*${NAME}(?:\\s+(?:as\\s+)?[a-z_][a-z0-9_]*)?((?:\\s*,\\s*${NAME}(?:\\s+(?:as\\s+)?[a-z_][a-z0-9_]*)?)*)`, 'g');
/**
 * The table names a text's SQL names where a table goes: after `join`, `into`, `update`,
 * `exists`, and each item of a `from` list (comma joins too), the ORM-free repositories' `from:`
 * properties (data-rights' export lists) included.
 */
function tablesNamed(text: string): string[] {
  const names = [...text.matchAll(new RegExp(`\\b(?:join|into|update|exists)\\s+${NAME}`, 'g'))].map((m) => m[1]);
  for (const m of text.matchAll(FROM_LIST)) {
    names.push(m[1]);
    for (const more of (m[2] ?? '').split(',').slice(1)) {
      const item = /^\s*"?([a-z_][a-z0-9_]*)/.exec(more);
      if (item) names.push(item[1]);
    }
  }
  return names;
}

describe('who touches which table (src/)', () => {
  const owners = new Map<string, string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/@Entity\(\{[^}]*tableName: '([a-z_0-9]+)'/g)) owners.set(m[1], moduleOf(f));
  }
  const found = new Map<string, Set<string>>();
  for (const f of files) {
    const module = moduleOf(f);
    for (const table of tablesNamed(withoutComments(readFileSync(f, 'utf8')))) {
      const owner = owners.get(table);
      if (owner && owner !== module) found.set(module, (found.get(module) ?? new Set()).add(table));
    }
  }

  it('reads every entity\'s table and its owner', () => {
    expect(owners.size).toBeGreaterThanOrEqual(40);
    expect(owners.get('point_transaction')).toBe('points');
    expect(owners.get('member')).toBe('members');
  });

  it('crosses only where the list says, and the list names no crossing that is gone', () => {
    const actual = Object.fromEntries([...found].map(([m, tables]) => [m, [...tables].sort()]).sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(actual).toEqual(CROSSINGS);
  });
});
