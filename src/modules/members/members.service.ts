import type { EntityManager } from '@mikro-orm/postgresql';
import { resolveOccurredAt } from '../../common/clock';
import { AppError, badInput, conflict, ErrorCode, notFound } from '../../common/errors';
import { cursorKind, decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor, pageOf, type Page } from '../../common/pagination';
import { isUuidText } from '../../common/uuid.rules';
import { inTransaction, isUniqueViolation } from '../../db/transaction';
import type { Actor } from '../actor';
import { snapshot, type AuditService } from '../audit/audit.service';
import { Member, PERSONAL_FIELDS } from './member.entity';
import {
  entryTier, exactCount, exactPage, keyShareLiveMember, lockMember, memberCount, memberExists as anyMemberWithId, nameCount, namePage, registrationPage,
  type MemberRow,
} from './members.repository';
import {
  isBirthday, mayChangeBirthday, profileChanges, registrationDigest, REGISTRATION_FIELDS, searchTerms, trimmedProfile, type PatchableField, type ProfilePatch,
} from './members.rules';

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
  /** The referrer's invite code (issue 25); absent or blank: none. */
  referralCode?: string | null;
}

/**
 * Whether a registration under a known externalId is a replay: the same profile as the first
 * registration gave (its digest), or as the member has now (a member registered before digests
 * were kept, or made by an import; nothing to write either way), and, when it gives one, the
 * same joinedAt.
 */
function sameRegistration(m: Member, input: RegisterMemberInput): boolean {
  const sameProfile = (m.registrationDigest != null && m.registrationDigest === registrationDigest(input))
    || REGISTRATION_FIELDS.every((f) => (input[f] ?? null) === (m[f] ?? null));
  return sameProfile && (input.joinedAt == null || input.joinedAt.getTime() === m.joinedAt.getTime());
}

/** What registration needs of the points ledger: an account opened in the same transaction, and the REGISTRATION campaigns' effects (issue 24). */
export interface AccountOpener {
  openAccount(tx: EntityManager, memberId: string): Promise<void>;
  registrationEffects(tx: EntityManager, memberId: string, at: Date): Promise<void>;
}

/**
 * What registration needs of the referrals module (issue 25): a code checked before anything is
 * written (its referrer's seq; null: none given; BAD_USER_INPUT when it is no code), the
 * referral written in the registration's transaction, and a replay's check.
 */
export interface ReferralLinker {
  referrerSeq(code: string | null | undefined): string | null;
  link(tx: EntityManager, refereeId: string, referrerSeq: string, at: Date): Promise<unknown>;
  sameReferrer(refereeId: string, referrerSeq: string | null): Promise<boolean>;
}

/** A page of a search; `count()` counts every match, only when asked (a name prefix may match many). */
export interface SearchPage extends Page<Member> {
  count(): Promise<number>;
}

/** Cursor kinds of a search: an exact look-up's (a seq) and a name prefix's (folded name and seq). */
const EXACT_CURSOR = 'memberexact';
const NAME_CURSOR = 'membername';

export class MembersService {
  constructor(
    private readonly em: EntityManager, private readonly ledger: AccountOpener, private readonly audit: AuditService,
    private readonly referrals?: ReferralLinker,
  ) {}

  async get(id: string): Promise<Member | null> {
    if (!isUuid(id)) return null;
    return this.em.findOne(Member, { id });
  }

  async getOrFail(id: string): Promise<Member> {
    const m = await this.get(id);
    if (!m) throw notFound('Member', id);
    return m;
  }

  /**
   * NOT_FOUND unless the member exists and was not erased: what its own token, or a service
   * naming it, may still read of it (an erased member is no member to them; admins keep its
   * tier history for accounting).
   */
  async assertLive(id: string): Promise<void> {
    const m = await this.get(id);
    if (!m || m.erasedAt) throw notFound('Member', id);
  }

  async findByExternalId(externalId: string): Promise<Member | null> {
    return this.em.findOne(Member, { externalId });
  }

  /**
   * Registers a member at the entry tier. `externalId` is the idempotency key: the same
   * externalId with the same profile returns the existing member; with another profile it
   * is a CONFLICT. Without externalId every call registers a new member. Audited
   * (`member.register`, the profile as registered). With a referral code
   * (issue 25) the member is linked to its referrer in the same transaction (an unknown code is
   * BAD_USER_INPUT and writes nothing); a replay must name the same referrer (or none again).
   */
  async register(actor: Actor, given: RegisterMemberInput, now = new Date()): Promise<Member> {
    const input = trimmedProfile(given);
    if (input.birthday != null && !isBirthday(input.birthday, now)) {
      throw badInput('birthday', 'birthday must be a date in YYYY-MM-DD, from 1900-01-01 to today');
    }
    const joinedAt = resolveOccurredAt(actor, input.joinedAt, now, 'joinedAt');
    const referrerSeq = this.referrals?.referrerSeq(input.referralCode) ?? null;
    // The member the externalId names may be erased between a replay's insert and its look-up
    // (the erasure frees the externalId): the replay then registers anew, as it would after.
    for (let attempt = 1; ; attempt++) {
      const registered = await this.registerOnce(actor, input, given, joinedAt, referrerSeq, now, attempt === 3);
      if (registered) return registered;
    }
  }

  /**
   * One attempt of register: null when the externalId's member went away before it could be
   * read (unless `last`). `input` is the registration as stored (profile text trimmed); `given`,
   * as sent, is a replay too of a member registered before text was trimmed (stored as sent).
   */
  private async registerOnce(
    actor: Actor, input: RegisterMemberInput, given: RegisterMemberInput, joinedAt: Date, referrerSeq: string | null, now: Date, last: boolean,
  ): Promise<Member | null> {
    try {
      return await inTransaction(this.em, async (tx) => {
        const entry = await entryTier(tx);
        if (!entry) throw new AppError(ErrorCode.CONFLICT, 'The programme has no entry tier (rank 0): create one with upsertTier');
        const m = new Member();
        for (const f of REGISTRATION_FIELDS) m[f] = input[f] ?? null;
        m.registrationDigest = registrationDigest(input);
        Object.assign(m, { joinedAt, tier: entry, tierSince: joinedAt, tierExpiresAt: null });
        await tx.persistAndFlush(m);
        await this.ledger.openAccount(tx, m.id);
        // Recorded now, whatever joinedAt says: a referral completes on a purchase recorded after it.
        if (referrerSeq != null) await this.referrals!.link(tx, m.id, referrerSeq, now);
        await this.ledger.registrationEffects(tx, m.id, joinedAt);
        // Audited as every change to a member is (an erasure nulls these fields here too); a replay writes nothing.
        this.audit.record(tx, actor, { action: 'member.register', entity: 'Member', entityId: m.id, before: null, after: snapshot(m, [...REGISTRATION_FIELDS, 'joinedAt']) });
        await tx.flush();
        return m;
      });
    } catch (err) {
      if (!input.externalId || !isUniqueViolation(err, 'member_external_id_unique')) throw err;
      const existing = await this.em.fork().findOne(Member, { externalId: input.externalId });
      if (!existing) {
        if (last) throw conflict(`The member with externalId ${input.externalId} is being erased: try again`, { field: 'externalId' });
        return null;
      }
      const replay = sameRegistration(existing, input) || sameRegistration(existing, given);
      if (!replay || (this.referrals && !(await this.referrals.sameReferrer(existing.id, referrerSeq)))) {
        throw conflict(`A member with externalId ${input.externalId} exists with another profile`, { field: 'externalId' });
      }
      return existing;
    }
  }

  /** Keyset pagination in registration order; `count` reads how many members there are (the caller's to ask, only when wanted). */
  async list(first: number, after: string | null): Promise<Page<Member> & { count: () => Promise<number> }> {
    const rows = await registrationPage(this.em, decodeCursor('member', after), first + 1);
    return { ...this.toPage(rows, first, (r) => encodeCursor('member', r.seq)), count: () => memberCount(this.em) };
  }

  /**
   * Store staff looking a member up: exact id, externalId, email (any case) or phone (by its
   * key) first; when nothing matches exactly, display names that start with the text (any
   * case). Exact matches come in registration order, names in (case-folded name, seq) order; a
   * cursor says which of the two lists it pages (docs/decisions.md, "Member look-ups").
   */
  async search(query: string, first: number, after: string | null): Promise<SearchPage> {
    const terms = searchTerms(query);
    const byName = cursorKind(after) === NAME_CURSOR;
    // A cursor pages the list of the kind its query answers with: exact matches, or else names.
    // One of the other kind (from another query) is refused, as another list's cursor is anywhere.
    const foreign = () => badInput('after', 'after is a cursor of another search: page a search with the cursors it gave');
    if (!byName) {
      const seq = decodeCursor(EXACT_CURSOR, after);
      const rows = await exactPage(this.em, terms, seq, first + 1);
      if (rows.length > 0) return { ...this.toPage(rows, first, (r) => encodeCursor(EXACT_CURSOR, r.seq)), count: () => exactCount(this.em, terms) };
      if (seq != null) {
        if ((await exactCount(this.em, terms)) === 0) throw foreign();
        return { ...this.toPage(rows, first, (r) => encodeCursor(EXACT_CURSOR, r.seq)), count: () => exactCount(this.em, terms) };
      }
    } else if ((await exactPage(this.em, terms, null, 1)).length > 0) throw foreign();
    const rows = await namePage(this.em, terms, decodeKeyCursor(NAME_CURSOR, after), first + 1);
    return {
      ...this.toPage(rows, first, (r) => encodeKeyCursor(NAME_CURSOR, { key: r.search_key, n: r.seq })),
      count: () => nameCount(this.em, terms),
    };
  }

  /**
   * updateMember: the fields the patch has (null clears one), checked as registration checks
   * them; a member may set its birthday only while none is stored (FORBIDDEN on `birthday`
   * after that), services and admins change it at any time. The member row is locked for the
   * read, so that the audit entry's before is what the change replaced. A patch that changes
   * nothing writes nothing, not even an audit entry.
   */
  async update(actor: Actor, memberId: string, given: ProfilePatch, now = new Date()): Promise<Member> {
    const patch = trimmedProfile(given);
    if (patch.birthday != null && !isBirthday(patch.birthday, now)) {
      throw badInput('birthday', 'birthday must be a date in YYYY-MM-DD, from 1900-01-01 to today');
    }
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    return inTransaction(this.em, async (tx) => {
      const m = await lockMember(tx, memberId);
      if (!m || m.erasedAt) throw notFound('Member', memberId);
      const changes = profileChanges(m, patch);
      if (changes.birthday !== undefined && !mayChangeBirthday(actor.role, m.birthday)) {
        throw new AppError(ErrorCode.FORBIDDEN, 'A member sets its birthday once; the programme can change it', { field: 'birthday' });
      }
      const fields = Object.keys(changes) as PatchableField[];
      if (fields.length === 0) return m;
      const before = snapshot(m, fields);
      Object.assign(m, changes);
      this.audit.record(tx, actor, { action: 'member.update', entity: 'Member', entityId: m.id, before, after: snapshot(m, fields) });
      await tx.flush();
      return m;
    });
  }

  /**
   * An erasure's first look at the member (data-rights.service.ts), in its transaction after the
   * account's lock: the member row locked FOR UPDATE (profile updates and tagging wait for the
   * erasure, and find nobody after it); null when there is no such member.
   */
  lockForErasure(tx: EntityManager, memberId: string): Promise<Member | null> {
    return lockMember(tx, memberId);
  }

  /**
   * An erasure's change to the member row, in its transaction, the row locked: every personal
   * field null, `erasedAt` set, and its tier frozen where it stands (no expiry: no review or
   * at-risk notice reaches it again; its tier history is kept; the window counters as an
   * unexpiring tier has them). Flushed by the caller's transaction.
   */
  erasePersonalFields(m: Member, at: Date): void {
    for (const f of PERSONAL_FIELDS) m[f] = null;
    Object.assign(m, { registrationDigest: null, erasedAt: at, tierExpiresAt: null, windowPoints: 0, pointsAfterExpiry: 0, windowPointsMonths: null });
  }

  /** The first `first` of `rows` (one more was asked for: hasNextPage) as members with their cursors. */
  private toPage<R extends MemberRow>(rows: R[], first: number, cursorOf: (row: R) => string): Page<Member> {
    return pageOf(rows, first, cursorOf, ({ search_key: _, ...row }) => this.em.map(Member, row as Record<string, unknown>));
  }
}

/** Whether a member with this id exists, erased or not, read with `em` (the caller's). */
export function memberExists(em: EntityManager, memberId: string): Promise<boolean> {
  return anyMemberWithId(em, memberId);
}

/**
 * In the caller's transaction: whether the member exists and was not erased, its row held FOR
 * KEY SHARE until `tx` ends (a tag and an erasure of one member come one after the other).
 */
export function holdLiveMember(tx: EntityManager, memberId: string): Promise<boolean> {
  return keyShareLiveMember(tx, memberId);
}

export function isUuid(id: string): boolean {
  return isUuidText(id);
}

/** An id as the API writes it: a UUID in any case (iOS writes them in capitals) in lower case; anything else as it is. */
export function canonicalId(id: string): string {
  return isUuid(id) ? id.toLowerCase() : id;
}
