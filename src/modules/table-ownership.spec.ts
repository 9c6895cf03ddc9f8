import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * A table is read and written by the module that owns it (the one whose entity declares it), and
 * another module asks its service; what crosses on purpose is one statement that would otherwise
 * be one call per member or a round trip more on a hot path, noted where it is (docs/decisions.md
 * "The layout: tables, resolvers, rules"; docs/architecture.md "Tables"). This holds the
 * crossings to the list below: SQL in a module's code (comments left out) that names another
 * module's table fails here until it is added, with its note where it is; a crossing that is gone
 * must leave the list. The scan reads `from`, `join`, `into`, `update` and `exists` followed by a
 * table name, in src/ (the migrations' functions and triggers are not read).
 */
const CROSSINGS: Record<string, string[]> = {
  'benefits': ['member', 'member_tag', 'tag', 'tier', 'tier_change'],
  'campaigns': ['activity', 'activity_rule', 'check_in', 'member', 'point_lot', 'point_transaction', 'program', 'purchase', 'referral', 'refund', 'reward', 'tier_change'],
  'data-rights': ['campaign', 'member', 'member_retention', 'point_account', 'point_transaction', 'purchase', 'redemption', 'reward', 'tag', 'tier'],
  'db': ['activity_rule', 'member', 'point_account', 'redemption', 'reward', 'tier'],
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
/** src/modules/<name>/… is <name>'s; src/<dir>/… is <dir>'s (events, jobs, db); files at the top of src/ or src/modules/ are no module's. */
const moduleOf = (file: string): string | null => {
  const parts = relative(SRC, file).split(sep);
  if (parts[0] === 'modules') return parts.length > 2 ? parts[1] : null;
  return parts.length > 1 ? parts[0] : null;
};
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

describe('who touches which table (src/)', () => {
  const owners = new Map<string, string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/@Entity\(\{[^}]*tableName: '([a-z_0-9]+)'/g)) owners.set(m[1], moduleOf(f)!);
  }
  const found = new Map<string, Set<string>>();
  for (const f of files) {
    const module = moduleOf(f);
    if (!module) continue;
    for (const m of withoutComments(readFileSync(f, 'utf8')).matchAll(/\b(?:from|join|into|update|exists)\s+"?([a-z_][a-z0-9_]*)"?/g)) {
      const owner = owners.get(m[1]);
      if (owner && owner !== module) found.set(module, (found.get(module) ?? new Set()).add(m[1]));
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
