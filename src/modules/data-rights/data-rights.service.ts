import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, forbidden, notFound } from '../../common/errors';
import { lockAccount } from '../../db/locks';
import { memberWrites } from '../../db/member-queue';
import { inTransaction } from '../../db/transaction';
import { scrubOutboxPayloads } from '../../events/outbox';
import type { Actor } from '../actor';
import type { AuditService } from '../audit/audit.service';
import { PERSONAL_FIELDS, type Member } from '../members/member.entity';
import { isUuid, type MembersService } from '../members/members.service';
import type { PointsService } from '../points/points.service';
import type { RewardsService } from '../rewards/rewards.service';
import type { SegmentsService } from '../segments/segments.service';
import type { TagsService } from '../tags/tags.service';
import type { TiersService } from '../tiers/tiers.service';
import { emitWebhookEvent, scrubMemberEvents, suppressRowEvents } from '../webhooks/webhooks.service';
import { exportDocument } from './data-rights.repository';
import { EXPORT_FORMAT, MAX_ERASURE_REASON, erasureReason, personalValues } from './data-rights.rules';

/** The modules an erasure asks for their part, each in the erasure's transaction. */
export interface DataRightsParts {
  members: MembersService;
  points: PointsService;
  rewards: RewardsService;
  tags: TagsService;
  tiers: TiersService;
  segments: SegmentsService;
  audit: AuditService;
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
    if (actor.role === 'member' && actor.sub !== memberId) throw forbidden('A member may only export its own data');
    if (actor.role !== 'member' && actor.role !== 'admin') throw forbidden('Only the member itself or an admin may export its data');
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    const member = await this.parts.members.get(memberId);
    if (!member || (member.erasedAt && actor.role !== 'admin')) throw notFound('Member', memberId);
    const segments = await this.parts.segments.containing(memberId);
    const doc = await exportDocument(this.em, { memberId, format: EXPORT_FORMAT, generatedAt: now, segments });
    if (doc == null) throw notFound('Member', memberId);
    return doc;
  }

  /**
   * Erases the member's personal data, in one transaction (the member's writes wait for it:
   * account, then member row, as every write locks them): its personal fields null, `erasedAt`
   * set, its tier frozen, its coupons still issued cancelled, the balance left forfeited by an
   * ERASURE transaction, its tags removed; personal values scrubbed from the audit log, its
   * stored webhook payloads, its outbox rows and the free-text reasons of its ledger, tier
   * history and redemptions. The ledger, purchases and tier history stay (the member's id is anonymous).
   * Per-row webhook events are off for the transaction; one `member.erased` event carries the
   * former externalId, for downstream systems to erase too. Audited. A second erasure of an
   * erased member returns it and writes nothing.
   */
  async erase(actor: Actor, memberId: string, reason: string, now = new Date()): Promise<Member> {
    const why = erasureReason(reason);
    if (why == null) throw badInput('reason', `reason is required (1 to ${MAX_ERASURE_REASON} characters)`);
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    return memberWrites(this.em).run(memberId, () => inTransaction(this.em, async (tx) => {
      await suppressRowEvents(tx);
      const account = await lockAccount(tx, memberId);
      const m = await this.parts.members.lockForErasure(tx, memberId);
      if (!m) throw notFound('Member', memberId);
      if (m.erasedAt) return m; // erased already: the same answer, nothing written
      const formerExternalId = m.externalId;
      const personal = personalValues(m, await this.parts.audit.formerValues(tx, memberId, PERSONAL_FIELDS));
      // (Every member has an account from its registration on; without one there are no points to close.)
      const cancelled = account ? await this.parts.rewards.cancelIssuedForErasure(tx, actor, memberId, account, now, personal) : 0;
      const forfeited = account ? await this.parts.points.closeForErasure(tx, memberId, account, now, personal) : 0;
      const tags = await this.parts.tags.removeAllForErasure(tx, memberId);
      await this.parts.tiers.scrubReasonsForErasure(tx, memberId, personal);
      await this.parts.audit.scrubMember(tx, memberId, PERSONAL_FIELDS, personal);
      await scrubMemberEvents(tx, memberId, personal);
      await scrubOutboxPayloads(tx, memberId, personal);
      this.parts.members.erasePersonalFields(m, now);
      this.parts.audit.record(tx, actor, {
        action: 'member.erase', entity: 'Member', entityId: memberId, before: { erasedAt: null },
        after: { erasedAt: now.toISOString(), reason: why, pointsForfeited: forfeited, couponsCancelled: cancelled, tagsRemoved: tags },
      });
      await emitWebhookEvent(tx, 'member.erased', memberId, {
        member: { id: memberId, externalId: formerExternalId }, reason: why, erasedAt: now.toISOString(),
      }, now);
      await tx.flush();
      return m;
    }));
  }
}
