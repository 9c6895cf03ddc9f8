import type { MikroORM } from '@mikro-orm/postgresql';
import { mintToken, type MintOptions } from './api/auth';
import { loadOrCreateDevSecret } from './config/dev-secret';
import { createServices } from './modules/services';
import { TOUR_MEMBER } from '../seeds/demo-history';

export interface DevMember { id: string; externalId: string; displayName: string | null; token: string }

/** What a development start (no JWT_SECRET, no JWKS) gives a developer to begin with. */
export interface DevAccess {
  secret: string;
  path: string;
  created: boolean;
  adminToken: string;
  /** The demo programme's tour member and a token for it, when the demo data is loaded. */
  member: DevMember | null;
}

/** A working day: long enough for a session, short enough not to outlive it. */
const MEMBER_TOKEN_LIFETIME = '9h';

/** The development secret (kept in the data folder), an admin token and the demo member's token. */
export async function developmentAccess(orm: MikroORM, dataDir: string, claims: MintOptions): Promise<DevAccess> {
  const { secret, path, created } = loadOrCreateDevSecret(dataDir);
  const adminToken = await mintToken(secret, { role: 'admin', sub: 'dev-admin' }, '30d', claims);
  const row = await createServices(orm.em.fork()).members.findByExternalId(TOUR_MEMBER);
  const member = row
    ? { id: row.id, externalId: TOUR_MEMBER, displayName: row.displayName, token: await mintToken(secret, { role: 'member', sub: row.id }, MEMBER_TOKEN_LIFETIME, claims) }
    : null;
  return { secret, path, created, adminToken, member };
}

/** Printed once the server listens: the tokens, the demo member, where the IDE is, and the line the README's tours start from. */
export function developmentBanner(dev: DevAccess, port: number): string {
  const api = `http://localhost:${port}/graphql`;
  const lines = [
    '',
    `  JWT_SECRET is not set: tokens are signed with the development secret in ${dev.path}${dev.created ? ' (created now)' : ''}`,
    `  ADMIN TOKEN (valid 30 days): ${dev.adminToken}`,
  ];
  if (dev.member) {
    lines.push(
      `  DEMO MEMBER: ${dev.member.displayName ?? ''} (${dev.member.externalId}), id ${dev.member.id}`,
      `  MEMBER TOKEN for it (valid 9 hours): ${dev.member.token}`,
    );
  }
  lines.push(
    `  Console: http://localhost:${port}/admin (sign in with one click: the development admin token)`,
    `  GraphQL IDE: ${api}${dev.member ? ' (with example operations and the member token filled in)' : ''}`,
    `  More tokens: npm run token -- --role admin|service|member --sub ID (it reads the same secret)`,
    `  For the README's tours: export API=${api}${dev.member ? ` MEMBER_ID=${dev.member.id}` : ''}`,
    '',
  );
  return lines.join('\n') + '\n';
}
