// `npm run token -- --role admin|service|member --sub ID [--expires 30d]`: mints a bearer
// token signed with JWT_SECRET (or, when it is unset, with the development secret that
// `npm start` keeps in DATA_DIR/jwt-secret), with `exp` always and `iss` / `aud` from
// JWT_ISSUER / JWT_AUDIENCE when those are set (the server then requires them).
import { parseArgs } from 'node:util';
import { mintToken } from '../api/auth';
import { actorRefusal } from '../api/guards';
import { nodeEnvIsProduction } from '../config/env';
import { devSecretPath, readDevSecret } from '../config/dev-secret';
import type { Role } from '../modules/actor';

const USAGE = 'usage: npm run token -- --role admin|service|member --sub ID [--expires 30d]';
let values: { role?: string; sub?: string; expires: string };
try {
  ({ values } = parseArgs({
    options: { role: { type: 'string' }, sub: { type: 'string' }, expires: { type: 'string', default: '30d' } },
  }) as { values: { role?: string; sub?: string; expires: string } });
} catch (err) {
  // An option it does not know, or one without its value: one line and the usage, not a stack.
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const role = values.role as Role | undefined;
if (!role || !['admin', 'service', 'member'].includes(role)) {
  console.error(USAGE);
  process.exit(2);
}
const dataDir = process.env.DATA_DIR || '.data';
let secret = process.env.JWT_SECRET || null;
try {
  // As the server reads NODE_ENV: a mistyped one is refused; in production there is no
  // development secret to sign with (the server verifies with JWT_SECRET alone).
  if (nodeEnvIsProduction() && !secret) throw new Error('JWT_SECRET is required when NODE_ENV=production: set it to the server\'s');
  secret ??= readDevSecret(dataDir);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
if (!secret) {
  console.error(`JWT_SECRET is not set and there is no development secret in ${devSecretPath(dataDir)} yet: `
    + 'set JWT_SECRET to the server\'s, or run `npm start` once without it (it creates that file)');
  process.exit(2);
}
const sub = values.sub ?? (role === 'member' ? '' : role);
if (!sub) {
  console.error(role === 'member' ? '--sub is required for a member token (the member id)' : `--sub must not be empty (leave it out for "${role}")`);
  process.exit(2);
}
// The server refuses a member token whose subject is not a member id (guards.ts actorRefusal): none is minted.
const refusal = actorRefusal({ role, sub });
if (refusal) {
  console.error(`${refusal}: --sub "${sub}" is not a member id (a UUID)`);
  process.exit(2);
}
// A period from now, as jose reads it (30d, 12h, 90m, 2w, 1y), more than nothing.
if (!/^[1-9]\d*\s?(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks|y|yr|yrs|year|years)$/i.test(values.expires)) {
  console.error(`--expires must be a period from now, such as 30d, 12h or 90m (got "${values.expires}")`);
  process.exit(2);
}
const claims = { issuer: process.env.JWT_ISSUER || null, audience: process.env.JWT_AUDIENCE || null };
mintToken(secret, { role, sub }, values.expires, claims).then((t) => console.log(t)).catch((err: unknown) => {
  console.error(`could not mint the token: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
});
