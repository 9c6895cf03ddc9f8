import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildAppSchema, printAppSchema } from '../../src/api/schema';

const root = resolve(__dirname, '../..');
/** The workspace this repository is developed in; a standalone clone has no ../shared. */
const shared = resolve(root, '../shared');
const inWorkspace = existsSync(join(shared, 'contract/loyalty.graphql'));

describe('the committed schema', () => {
  it('is exactly what the code emits (run `npm run schema` after changing the API)', async () => {
    const emitted = printAppSchema(await buildAppSchema());
    const committed = readFileSync(resolve(root, 'schema/schema.graphql'), 'utf8');
    expect(committed).toBe(emitted);
  });

  // The workspace's checker when it is there, else the repository's copy (docs/tools/, which
  // reads docs/contract/): it runs in a standalone clone too.
  const checker = inWorkspace ? join(shared, 'tools/check-contract.mjs') : resolve(root, 'docs/tools/check-contract.mjs');
  it(`keeps the whole public contract (${inWorkspace ? '../shared/tools' : 'docs/tools'}/check-contract.mjs)`, () => {
    const out = execFileSync(process.execPath, [checker, 'schema/schema.graphql'], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('the emitted schema keeps the whole contract');
  });
});

/** What docs/ copies from the workspace's shared/ folder, so that a clone of this repository alone has it. */
const COPIES: [copy: string, original: string][] = [
  ['docs/domain.md', 'docs/domain.md'],
  ['docs/runtime.md', 'docs/runtime.md'],
  ['docs/tools/check-contract.mjs', 'tools/check-contract.mjs'],
  ['docs/contract/loyalty.graphql', 'contract/loyalty.graphql'],
  ...(inWorkspace ? readdirSync(join(shared, 'contract/parts')) : []).map((f): [string, string] => [`docs/contract/parts/${f}`, `contract/parts/${f}`]),
  ['test/fixtures/cdnow/CDNOW_sample.txt', 'data/cdnow/CDNOW_sample.txt'],
  ['test/fixtures/cdnow/cdnow_customers_summary.csv', 'data/cdnow/cdnow_customers_summary.csv'],
];
/** A copied page opens with one comment line saying it is a copy. */
const body = (text: string, copy: string) => (copy.endsWith('.md') ? text.replace(/^<!-- A copy of [^\n]*-->\n\n/, '') : text);

if (!inWorkspace) {
  console.warn('skipped: the docs/ and test/fixtures/ copies are not compared with ../shared/, which is not here (a standalone clone)');
}
(inWorkspace ? describe : describe.skip)(`the copies of the workspace's shared files${inWorkspace ? '' : ' (skipped: ../shared/ is not here, a standalone clone)'}`, () => {
  it.each(COPIES)('%s is the same as shared/%s', (copy, original) => {
    expect(body(readFileSync(resolve(root, copy), 'utf8'), copy)).toBe(readFileSync(join(shared, original), 'utf8'));
  });
});
