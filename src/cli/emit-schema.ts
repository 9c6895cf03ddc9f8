// Writes schema/schema.graphql from the code. CI fails when the committed file differs.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildAppSchema, printAppSchema } from '../api/schema';

void (async () => {
  const schema = await buildAppSchema();
  const out = resolve(__dirname, '../../schema/schema.graphql');
  writeFileSync(out, printAppSchema(schema));
  console.log(`wrote ${out}`);
})();
