/** Notes `name` in the run's list of databases to drop (TEST_PG_CREATED), when there is one. */
export function recordTestDatabase(name: string): void;
/** Drops every database `file` lists that is still there, on the server of `adminUrl`; the names listed. */
export function dropRecordedDatabases(adminUrl: string, file: string): Promise<string[]>;
