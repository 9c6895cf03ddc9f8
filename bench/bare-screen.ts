// The member screen's baseline: node:http + jose + pg and nothing else. Each request: the
// bearer token verified with jose (HS256, its key imported once), then ONE statement that builds
// the whole answer with json_build_object on the same tables the app reads, spliced into the
// response as text (no parse, no stringify). It answers what the app answers to bench/screen.ts's
// `me { … }` (the bench checks that for a sample of members before timing). No GraphQL, no ORM,
// no token cache, no logging, no limits.
import http from 'node:http';
import { createSecretKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import { Pool } from 'pg';
import { minusMonths } from '../src/db/months';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const key = createSecretKey(Buffer.from(process.env.BARE_JWT_SECRET!));

/** The screen of member $1 at $2, with expiringPoints within 30 days. */
const SCREEN = `select json_build_object(
    'id', m.id, 'displayName', m.display_name, 'tier', json_build_object('code', t.code, 'name', t.name),
    'pointsBalance', case when a.member_id is null then 0 else lots.balance end,
    'pendingPoints', case when a.member_id is null then 0 else lots.pending end,
    'expiringPoints', lots.expiring,
    'tierProgress', json_build_object('qualifyingPoints', greatest(q.q_now, 0), 'nextTier', case when nt.id is null then null else json_build_object('code', nt.code) end,
      'pointsToNextTier', case when nt.id is null then null else greatest(0, nt.qualifying_points - greatest(q.q_now, 0)) end),
    'benefits', (select coalesce(json_agg(json_build_object('code', b.code, 'name', b.name) order by b.code), '[]') from benefit b
      where b.active and (b.valid_from is null or b.valid_from <= $2) and (b.valid_to is null or b.valid_to > $2)
        and (cardinality(b.tier_codes) = 0 or t.code = any(b.tier_codes))
        and (cardinality(b.required_tags) = 0 or b.required_tags <@ coalesce(
          (select array_agg(tg.code) from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id), '{}'))),
    'tags', (select coalesce(json_agg(json_build_object('code', tg.code) order by tg.code), '[]') from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id)
  )::text as me
  from member m join tier t on t.id = m.tier_id left join tier nt on nt.rank = t.rank + 1 join program p on p.id = 1
  left join point_account a on a.member_id = m.id
  left join lateral (select
      coalesce(sum(l.remaining) filter (where l.activates_at <= $2 and (l.expires_at is null or l.expires_at > $2)), 0)::int as balance,
      coalesce(sum(l.remaining) filter (where l.activates_at > $2), 0)::int as pending,
      coalesce(sum(l.remaining) filter (where l.remaining > 0 and l.activates_at <= $2 and l.expires_at > $2 and l.expires_at <= $2 + interval '30 days'), 0)::int as expiring
    from point_lot l where l.member_id = m.id and l.remaining <> 0 and coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity')) lots on true
  left join lateral (select coalesce(sum(qe.points) filter (where qe.occurred_at > ${minusMonths('$2', 'p.qualification_window_months')}), 0)::int as q_now
    from qualifying_entry qe where qe.member_id = m.id and qe.occurred_at <= $2 and coalesce(qe.counts_from, qe.occurred_at) <= $2) q on true
  where m.id = $1`;

function answer(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

async function screen(authorization: string | undefined, res: http.ServerResponse): Promise<void> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : null;
  let payload;
  try {
    ({ payload } = await jwtVerify(token ?? '', key, { algorithms: ['HS256'], requiredClaims: ['exp'] }));
  } catch {
    return answer(res, 401, '{"errors":[{"message":"Token refused","extensions":{"code":"UNAUTHENTICATED"}}]}');
  }
  if (payload.role !== 'member' || typeof payload.sub !== 'string') return answer(res, 200, '{"errors":[{"message":"Requires role member","extensions":{"code":"FORBIDDEN"}}],"data":{"me":null}}');
  const { rows } = await pool.query<{ me: string }>(SCREEN, [payload.sub, new Date()]);
  answer(res, 200, `{"data":{"me":${rows[0]?.me ?? 'null'}}}`);
}

http.createServer((req, res) => {
  // The body is the GraphQL document the app gets; this handler knows its one answer, so it only drains it.
  req.resume();
  req.on('end', () => {
    screen(req.headers.authorization, res).catch((err) => answer(res, 500, JSON.stringify({ errors: [{ message: String(err) }] })));
  });
}).listen(Number(process.env.PORT), () => process.send?.('ready'));
