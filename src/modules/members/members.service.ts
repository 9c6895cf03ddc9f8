import type { EntityManager } from '@mikro-orm/postgresql';
import { resolveOccurredAt } from '../../common/clock';
import { AppError, badInput, conflict, ErrorCode, notFound } from '../../common/errors';
import { encodeCursor, decodeCursor, keyset, type Page } from '../../common/pagination';
import { inTransaction, isUniqueViolation } from '../../db/transaction';
import type { Actor } from '../actor';
import { Tier } from '../tiers/tier.entity';
import { Member } from './member.entity';

export interface RegisterMemberInput {
  externalId?: string | null;
  displayName?: string | null;
  email?: string | null;
  phone?: string | null;
  birthday?: string | null;
  gender?: string | null;
  region?: string | null;
  channel?: string | null;
  joinedAt?: Date | null;
}

const PROFILE_FIELDS = ['externalId', 'displayName', 'email', 'phone', 'birthday', 'gender', 'region', 'channel'] as const;

/** A real calendar date in YYYY-MM-DD (rejects 2025-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * A birthday someone alive can have: a calendar date from 1900-01-01 to today (a day's slack
 * for time zones ahead of UTC). Year 0000 is valid to JavaScript but not to PostgreSQL.
 */
export function isBirthday(value: string, now: Date): boolean {
  const latest = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
  return isCalendarDate(value) && value >= '1900-01-01' && value <= latest;
}

function sameProfile(m: Member, input: RegisterMemberInput): boolean {
  return PROFILE_FIELDS.every((f) => (input[f] ?? null) === (m[f] ?? null))
    && (input.joinedAt == null || input.joinedAt.getTime() === m.joinedAt.getTime());
}

/** What registration needs of the points ledger: an account opened in the same transaction. */
export interface AccountOpener {
  openAccount(tx: EntityManager, memberId: string): Promise<void>;
}

export class MembersService {
  constructor(private readonly em: EntityManager, private readonly ledger: AccountOpener) {}

  async get(id: string): Promise<Member | null> {
    if (!isUuid(id)) return null;
    return this.em.findOne(Member, { id });
  }

  async getOrFail(id: string): Promise<Member> {
    const m = await this.get(id);
    if (!m) throw notFound('Member', id);
    return m;
  }

  async findByExternalId(externalId: string): Promise<Member | null> {
    return this.em.findOne(Member, { externalId });
  }

  /**
   * Registers a member at the entry tier. `externalId` is the idempotency key: the same
   * externalId with the same profile returns the existing member; with another profile it
   * is a CONFLICT. Without externalId every call registers a new member.
   */
  async register(actor: Actor, input: RegisterMemberInput, now = new Date()): Promise<Member> {
    if (input.birthday != null && !isBirthday(input.birthday, now)) {
      throw badInput('birthday', 'birthday must be a date in YYYY-MM-DD, from 1900-01-01 to today');
    }
    const joinedAt = resolveOccurredAt(actor, input.joinedAt, now, 'joinedAt');
    try {
      return await inTransaction(this.em, async (tx) => {
        const entry = await tx.findOne(Tier, { rank: 0 });
        if (!entry) throw new AppError(ErrorCode.CONFLICT, 'The programme has no entry tier (rank 0): create one with upsertTier');
        const m = new Member();
        for (const f of PROFILE_FIELDS) m[f] = input[f] ?? null;
        Object.assign(m, { joinedAt, tier: entry, tierSince: joinedAt, tierExpiresAt: null });
        await tx.persistAndFlush(m);
        await this.ledger.openAccount(tx, m.id);
        return m;
      });
    } catch (err) {
      if (!input.externalId || !isUniqueViolation(err, 'member_external_id_unique')) throw err;
      const existing = await this.em.fork().findOneOrFail(Member, { externalId: input.externalId });
      if (!sameProfile(existing, input)) {
        throw conflict(`A member with externalId ${input.externalId} exists with another profile`, { field: 'externalId' });
      }
      return existing;
    }
  }

  /** Keyset pagination in registration order. */
  async list(first: number, after: string | null): Promise<Page<Member>> {
    const keys = keyset('m.seq', 'asc', decodeCursor('member', after));
    const conn = this.em.getConnection();
    const [rows, [{ n }]] = await Promise.all([
      conn.execute(`select m.* from member m where ${keys.where} ${keys.orderBy} limit ?`, [...keys.params, first + 1]),
      conn.execute('select count(*)::int as n from member'),
    ]);
    const page = rows.slice(0, first) as { seq: string }[];
    const items = page.map((r) => this.em.map(Member, r));
    return {
      items,
      hasNextPage: rows.length > first,
      endCursor: page.length ? encodeCursor('member', page[page.length - 1].seq) : null,
      totalCount: n as number,
      cursors: page.map((r) => encodeCursor('member', r.seq)),
    };
  }
}

export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
