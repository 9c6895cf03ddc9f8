import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/server-process';

/**
 * The console's typed operations (admin/src/gql/, committed) are what GraphQL Code Generator
 * makes now from schema/schema.graphql and the operations in admin/src: generated again into a
 * temporary folder, every file is the same. After changing an operation or the schema:
 * `npm run codegen -w admin`.
 */
it('admin/src/gql is current with the schema and the operations', async () => {
  const out = mkdtempSync(join(tmpdir(), 'console-codegen-'));
  try {
    // The package's own command (its "bin"), where npm put it (hoisted to the root by the workspace, or under admin/).
    const cliDir = [join(ROOT, 'admin', 'node_modules', '@graphql-codegen', 'cli'), join(ROOT, 'node_modules', '@graphql-codegen', 'cli')]
      .find((dir) => existsSync(join(dir, 'package.json')))!;
    const bin = (JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['graphql-codegen'];
    await promisify(execFile)(process.execPath, [join(cliDir, bin), '--config', 'codegen.mjs'], {
      cwd: join(ROOT, 'admin'), env: { ...process.env, CODEGEN_OUT: `${out}/` },
    });
    const committed = join(ROOT, 'admin', 'src', 'gql');
    const names = readdirSync(out).sort();
    expect(readdirSync(committed).sort()).toEqual(names);
    for (const name of names) {
      expect({ name, text: readFileSync(join(committed, name), 'utf8') }).toEqual({ name, text: readFileSync(join(out, name), 'utf8') });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
