import type { GqlResponse, TestServer } from './harness';

/** The data of a GraphQL answer; its errors thrown. */
export async function gqlData<T = Record<string, any>>(res: Promise<GqlResponse<T>>): Promise<T> {
  const r = await res;
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data!;
}

/**
 * Every row of every table of the public schema, as text, that contains `value`, but those
 * `keptOnPurpose` accepts (what an erasure keeps by its own rule, e.g. the member.erased event).
 */
export async function rowsMentioning(s: TestServer, value: string, keptOnPurpose: (table: string, row: string) => boolean): Promise<string[]> {
  const tables = await s.sql<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
  const found: string[] = [];
  for (const { t } of tables) {
    const rows = await s.sql<{ row: string }>(`select x::text as row from "${t}" x where strpos(x::text, $1) > 0`, [value]);
    for (const r of rows) if (!keptOnPurpose(t, r.row)) found.push(`${t}: ${r.row}`);
  }
  return found;
}
