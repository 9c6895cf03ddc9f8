import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, forbidden, notFound } from '../../common/errors';
import { lockAccount } from '../../db/locks';
import { memberWrites } from '../../db/member-queue';
import { inSqlTransaction, inTransaction } from '../../db/transaction';
import { scrubOutboxPayloads } from '../../events/outbox';
import type { Actor } from '../actor';
import type { AuditService } from '../audit/audit.service';
import type { ImportsService } from '../imports/imports.service';
import { PERSONAL_FIELDS, type Member } from '../members/member.entity';
import { isUuid, type MembersService } from '../members/members.service';
import type { PointsService } from '../points/points.service';
import type { RewardsService } from '../rewards/rewards.service';
import type { ReferralsService } from '../referrals/referrals.service';
import type { SegmentsService } from '../segments/segments.service';
import type { TagsService } from '../tags/tags.service';
import type { TiersService } from '../tiers/tiers.service';
import { emitWebhookEvent, scrubMemberEvents, suppressRowEvents } from '../webhooks/webhooks.service';
import {
  closeCursor, EXPORT_LISTS, exportHead, fetchList, openListCursor, readOnlySnapshot, scrubbedText, type ExportListKey,
} from './data-rights.repository';
import { EXPORT_FORMAT, IDENTIFYING_FIELDS, MAX_ERASURE_REASON, erasureReason, personalValues } from './data-rights.rules';

/** Rows per cursor fetch of an export list. */
const EXPORT_BATCH = 1000;

/** The document's keys after `points`, in order: its lists, and the two single values placed among them. */
const EXPORT_LAYOUT: (ExportListKey | 'segments' | 'retention')[] = [
  'pointTransactions', 'pointLots', 'purchases', 'refunds', 'qualifyingPoints', 'activities', 'checkIns', 'referrals', 'tierHistory', 'tierNotices',
  'redemptions', 'birthdayGifts', 'campaignArms', 'campaignAwards', 'tags', 'segments', 'retention', 'lifecycleTransitions', 'auditLog',
  'pointAllocations', 'webhookEvents',
];

/** The modules an erasure asks for their part, each in the erasure's transaction. */
export interface DataRightsParts {
  members: MembersService;
  points: PointsService;
  rewards: RewardsService;
  tags: TagsService;
  tiers: TiersService;
  segments: SegmentsService;
  audit: AuditService;
  imports: ImportsService;
  referrals: ReferralsService;
}

/**
 * A member's data rights (docs/decisions.md, "Member data rights"): the export of everything
 * held about it, and its erasure.
 */
export class DataRightsService {
  constructor(private readonly em: EntityManager, private readonly parts: DataRightsParts) {}

  /**
   * Everything held about the member as one JSON document (format EXPORT_FORMAT), for the member
   * itself or an admin. An erased member's own token gets NOT_FOUND (it no longer exists as a
   * member); an admin still gets what is kept (the anonymous ledger, its erasure instant).
   */
  async exportMember(actor: Actor, memberId: string, now = new Date()): Promise<string> {
    const pieces: string[] = [];
    await this.streamExport(actor, memberId, async (piece) => void pieces.push(piece), now);
    return pieces.join('');
  }

  /**
   * The same document, written piece by piece through `write` (which resolves when the reader
   * wants more), from one snapshot: the lists are read through cursors a batch at a time, so
   * memory holds one batch whatever the member's history (GET /exports/members/<id>.json).
   * Refusals (FORBIDDEN, NOT_FOUND) come before the first piece is written.
   */
  async streamExport(actor: Actor, memberId: string, write: (piece: string) => Promise<void>, now = new Date()): Promise<void> {
    if (actor.role === 'member' && actor.sub !== memberId) throw forbidden('A member may only export its own data');
    if (actor.role !== 'member' && actor.role !== 'admin') throw forbidden('Only the member itself or an admin may export its data');
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    const segments = await this.parts.segments.containing(memberId);
    await inSqlTransaction(this.em, async (tx) => {
      await readOnlySnapshot(tx);
      const head = await exportHead(tx, memberId);
      if (!head || (head.erased && actor.role !== 'admin')) throw notFound('Member', memberId);
      // The member's invite code is derived from its seq, not stored: added to the member's fields (none once erased, as the API's '').
      const code = head.erased ? null : this.parts.referrals.codeOf(head.seq);
      const member = `${head.member.slice(0, -1)},"referralCode":${JSON.stringify(code)}}`;
      // The balance the API shows (spendable now, and pending) beside the ledger's, read in the same snapshot.
      const account = JSON.parse(head.points) as Record<string, unknown> | null;
      const shown = account && (await this.parts.points.balances([memberId], now, tx)).get(memberId);
      const points = account && { pointsBalance: shown?.balance ?? 0, pendingPoints: shown?.pending ?? 0, ...account };
      await write(`{"format":${JSON.stringify(EXPORT_FORMAT)},"generatedAt":${JSON.stringify(now.toISOString())},"member":${member},"points":${JSON.stringify(points)}`);
      for (const entry of EXPORT_LAYOUT) {
        if (entry === 'segments') await write(`,"segments":${JSON.stringify(segments)}`);
        else if (entry === 'retention') await write(`,"retention":${head.retention}`);
        else await this.writeList(tx, entry, memberId, now, write);
      }
      await write('}');
    });
  }

  /** One list of the document, `"key":[…]`, from a cursor, EXPORT_BATCH rows at a time. */
  private async writeList(tx: EntityManager, key: ExportListKey, memberId: string, now: Date, write: (piece: string) => Promise<void>): Promise<void> {
    const cursor = `export_${key.toLowerCase()}`;
    await openListCursor(tx, cursor, EXPORT_LISTS[key], memberId, now);
    await write(`,${JSON.stringify(key)}:[`);
    for (let first = true; ;) {
      const rows = await fetchList(tx, cursor, EXPORT_BATCH);
      if (rows.length) await write((first ? '' : ',') + rows.join(','));
      first = false;
      if (rows.length < EXPORT_BATCH) break;
    }
    await write(']');
    await closeCursor(tx, cursor);
  }

  /**
   * Erases the member's personal data, in one transaction (the member's writes wait for it:
   * account, then member row, as every write locks them): its personal fields null, `erasedAt`
   * set, its tier frozen, its coupons still issued cancelled, a referral it completed as referee
   * reversed while its points are held (PointsService.reverseReferralOfErased), the balance left forfeited by an
   * ERASURE transaction, its tags removed; personal values scrubbed from the audit log, its
   * stored webhook payloads, its outbox rows, import jobs' rejected lines (its externalId) and the free-text reasons of its ledger, tier
   * history and redemptions. The ledger, purchases and tier history stay (the member's id is
   * anonymous). Per-row webhook events are off for the transaction; one `member.erased` event carries the
   * former externalId, for downstream systems to erase too. Audited. A second erasure of an
   * erased member returns it and writes nothing.
   */
  async erase(actor: Actor, memberId: string, reason: string, now = new Date()): Promise<Member> {
    const why = erasureReason(reason);
    if (why == null) throw badInput('reason', `reason must be 1 to ${MAX_ERASURE_REASON} characters, not only spaces`);
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    return memberWrites(this.em).run(memberId, () => inTransaction(this.em, async (tx) => {
      const account = await lockAccount(tx, memberId);
      const m = await this.parts.members.lockForErasure(tx, memberId);
      if (!m) throw notFound('Member', memberId);
      if (m.erasedAt) return m; // erased already: the same answer, nothing written
      // A referral it completed whose points are still held goes back first, with its events
      // (its referrer's ledger and the referral change; what names this member is scrubbed below).
      if (account) await this.parts.points.reverseReferralOfErased(tx, account, memberId, now);
      await suppressRowEvents(tx);
      const formerExternalId = m.externalId;
      const personal = personalValues(m, await this.parts.audit.formerValues(tx, memberId, IDENTIFYING_FIELDS));
      // (Every member has an account from its registration on; without one there are no points to close.)
      const cancelled = account ? await this.parts.rewards.cancelIssuedForErasure(tx, actor, memberId, account, now, personal) : 0;
      const forfeited = account ? await this.parts.points.closeForErasure(tx, memberId, account, now, personal) : 0;
      const tags = await this.parts.tags.removeAllForErasure(tx, memberId);
      await this.scrubKeptRecords(tx, memberId, personal);
      await this.parts.imports.scrubForErasure(tx, formerExternalId, now);
      this.parts.members.erasePersonalFields(m, now);
      // The erasure's own reason is written after the scrub: an operator's "request from <name>,
      // <e-mail>" would otherwise keep them in its audit entry and its event.
      const kept = await scrubbedText(tx, why, personal);
      this.parts.audit.record(tx, actor, {
        action: 'member.erase', entity: 'Member', entityId: memberId, before: { erasedAt: null },
        after: { erasedAt: now.toISOString(), reason: kept, pointsForfeited: forfeited, couponsCancelled: cancelled, tagsRemoved: tags },
      });
      // It reports the forfeited balance too (the ERASURE transaction has no event of its own): a
      // receiver following balanceAfter ends at the ledger's 0.
      await emitWebhookEvent(tx, 'member.erased', memberId, {
        member: { id: memberId, externalId: formerExternalId }, reason: kept, erasedAt: now.toISOString(),
        pointsForfeited: forfeited, couponsCancelled: cancelled, balanceAfter: 0,
      }, now);
      await tx.flush();
      return m;
    }));
  }

  /** The personal values scrubbed from what the erasure keeps: the audit log, stored webhook events, outbox rows, tier change reasons. */
  private async scrubKeptRecords(tx: EntityManager, memberId: string, personal: string[]): Promise<void> {
    await this.parts.tiers.scrubReasonsForErasure(tx, memberId, personal);
    const redemptions = await this.parts.rewards.redemptionIdsOf(tx, memberId);
    await this.parts.audit.scrubMember(tx, memberId, PERSONAL_FIELDS, personal, { entity: 'Redemption', ids: redemptions });
    await scrubMemberEvents(tx, memberId, personal);
    await scrubOutboxPayloads(tx, memberId, personal);
  }
}
