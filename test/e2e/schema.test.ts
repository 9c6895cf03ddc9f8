import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildAppSchema, printAppSchema } from '../../src/api/schema';

const root = resolve(__dirname, '../..');

describe('the committed schema', () => {
  it('is exactly what the code emits (run `npm run schema` after changing the API)', async () => {
    const emitted = printAppSchema(await buildAppSchema());
    const committed = readFileSync(resolve(root, 'schema/schema.graphql'), 'utf8');
    expect(committed).toBe(emitted);
  });

  const checker = resolve(root, '../shared/tools/check-contract.mjs');
  (existsSync(checker) ? it : it.skip)('keeps the whole public contract (shared/tools/check-contract.mjs)', () => {
    const out = execFileSync(process.execPath, [checker, 'schema/schema.graphql'], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('the emitted schema keeps the whole contract');
  });
});
