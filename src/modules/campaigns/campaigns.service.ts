import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound, otherCaseOf } from '../../common/errors';
import { inTransaction, isUniqueViolation } from '../../db/transaction';
import { type Actor, SYSTEM_ACTOR } from '../actor';
import type { AuditService } from '../audit/audit.service';
import type { PointsService } from '../points/points.service';
import type { RewardsService } from '../rewards/rewards.service';
import type { TagsService } from '../tags/tags.service';
import type { TiersService } from '../tiers/tiers.service';
import { checkFilter, memberSelection, type SegmentFilter } from '../segments/segments.service';
import {
  activeCampaigns, armOf, assignArms, awardTotals, budgetSpent, campaignByCode, gateBudget, gateBudgetEdit, insertCampaign, listCampaigns, lockBudget, lockCampaign, lockCampaignsPastEnd, otherCaseCode, type AwardTotals,
  setCampaignStatus, updateCampaign, type CampaignRow,
} from './campaigns.repository';
import {
  auditedField, auditedValues, campaignIdOf, campaignValues, changedFields, lifecycleStep, normalizedAudience, standingAt, type CampaignAction, type CampaignDefinition, type CampaignValues,
} from './campaigns.rules';

export type { CampaignRow } from './campaigns.repository';
export type { CampaignDefinition } from './campaigns.rules';

/** What the campaigns service asks of other modules: the activity kinds (points), the rewards, the tiers and the tags (an audience's codes). */
export interface CampaignDeps { points: PointsService; rewards: RewardsService; tiers: TiersService; tags: TagsService }

/**
 * The definition's stored values out of a row, to compare a new definition with (the audience
 * normalised again: jsonb keeps its keys in its own order, not the one they were written in).
 */
function valuesOf(row: CampaignRow): CampaignValues {
  return {
    name: row.name, trigger: row.trigger, startsAt: row.startsAt, endsAt: row.endsAt, audience: normalizedAudience(row.audience), activityKind: row.activityKind,
    minAmountCents: row.minAmountCents, bonusPoints: row.bonusPoints, multiplier: row.multiplier, rewardCode: row.rewardCode,
    perMemberLimit: row.perMemberLimit, budgetPoints: row.budgetPoints, controlPercent: row.controlPercent,
  };
}

function pick<T extends object>(values: T, keys: (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, values[k]])) as Partial<T>;
}

/**
 * Campaigns' definitions and lifecycle (DRAFT → ACTIVE → PAUSED ↔ ACTIVE → ENDED) and their
 * arms: the audience assigned to treatment and control at activation and by the nightly
 * re-evaluation, set-based. What campaigns give is the effects' business (awards); here only
 * their net total is read.
 */
export class CampaignsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService, private readonly deps: CampaignDeps) {}

  /**
   * Keyed by code: a new code is a DRAFT (its id campaignIdOf(code)); an existing one gets the
   * new definition, its status kept. The same definition again writes nothing. ENDED campaigns
   * are not edited; once activated, controlPercent and trigger are fixed (the arms, and what
   * they measure, are). Concurrent first upserts of a code race on its unique key: the loser
   * runs again as an update.
   */
  async upsert(actor: Actor, input: CampaignDefinition, now = new Date()): Promise<CampaignRow> {
    const values = campaignValues(input);
    await this.checkReferences(values);
    try {
      return await this.upsertOnce(actor, input.code, values, now);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return this.upsertOnce(actor, input.code, values, now);
    }
  }

  private upsertOnce(actor: Actor, code: string, values: CampaignValues, now: Date): Promise<CampaignRow> {
    return inTransaction(this.em, async (tx) => {
      // A budget given, changed or removed waits for the campaign's awards in flight and holds new
      // ones (the budget gate, before the row: docs/decisions.md "A budget given while awards run").
      const gated = await gateBudgetEdit(tx, code, values.budgetPoints);
      const locked = await lockCampaign(tx, code);
      if (!locked) {
        const otherCase = await otherCaseCode(tx, code);
        if (otherCase) throw otherCaseOf('code', 'campaign', code, otherCase);
        const row = await insertCampaign(tx, campaignIdOf(code), code, values);
        this.audit.record(tx, actor, { action: 'campaign.create', entity: 'Campaign', entityId: code, after: auditedValues(values) });
        await tx.flush();
        return row;
      }
      const current = standingAt(locked, now);
      if (current.status === 'ENDED') throw badInput('code', `Campaign ${code} has ended (${current.endedReason ?? 'ENDED'}): an ENDED campaign cannot be edited`);
      const before = valuesOf(current);
      const changed = changedFields(before, values);
      if (!changed.length) return current;
      if (!gated && changed.includes('budgetPoints')) await gateBudget(tx, current.id); // another edit changed the budget between the two reads
      if (current.activatedAt && changed.includes('controlPercent')) {
        throw badInput('controlPercent', `controlPercent cannot change once the campaign has been activated: its arms are fixed (it is ${current.controlPercent})`);
      }
      if (current.activatedAt && changed.includes('trigger')) {
        throw badInput('trigger', `trigger cannot change once the campaign has been activated: its arms were measured for ${current.trigger}`);
      }
      if (current.activatedAt) await this.checkRunningEdit(tx, current, values, changed, now);
      const row = await updateCampaign(tx, code, values);
      this.audit.record(tx, actor, {
        action: 'campaign.update', entity: 'Campaign', entityId: code,
        before: { status: current.status, changed: changed.map(auditedField), ...auditedValues(pick(before, changed)) },
        after: { status: current.status, changed: changed.map(auditedField), ...auditedValues(pick(values, changed)) },
      });
      await tx.flush();
      return row;
    });
  }

  /**
   * An audience that would select nobody by a slip of the admin's is refused, naming the field:
   * a tier or a tag the programme does not have (a typo, a code's case); an empty range is
   * checkFilter's. A campaign with such an audience would run, give nothing and report on
   * two empty arms.
   */
  private async checkAudience(a: SegmentFilter): Promise<void> {
    if (a.tierCodes?.length) {
      const known = new Set((await this.deps.tiers.ladder()).map((t) => t.code));
      const unknown = a.tierCodes.filter((c) => !known.has(c));
      if (unknown.length) throw badInput('tierCodes', `Unknown tier ${unknown.join(', ')}: the programme's tiers are ${[...known].join(', ')}`);
    }
    const tagLists = (['tagsAll', 'tagsAny', 'tagsNone'] as const).filter((k) => a[k]?.length);
    if (tagLists.length) {
      const known = new Set((await this.deps.tags.list()).map((t) => t.code));
      for (const k of tagLists) {
        const unknown = a[k]!.filter((c) => !known.has(c));
        if (unknown.length) throw badInput(k, `Unknown tag ${unknown.join(', ')}`);
      }
    }
  }

  /**
   * An edit of a campaign that has been activated (ACTIVE or PAUSED) keeps what it has given
   * meaningful: its start cannot move once it has passed (the awards and the report's period
   * begin there); a new end must lie ahead (endCampaign ends it now; an end already passed would
   * leave it ACTIVE with a closed window, its awards outside its report); a budget cannot fall
   * below what the campaign has paid from it.
   */
  private async checkRunningEdit(tx: EntityManager, current: CampaignRow, values: CampaignValues, changed: string[], now: Date): Promise<void> {
    if (changed.includes('startsAt') && new Date(current.startsAt).getTime() <= now.getTime()) {
      throw badInput('startsAt', `Campaign ${current.code} started at ${current.startsAt}: its start cannot move`);
    }
    if (changed.includes('endsAt') && values.endsAt !== null && new Date(values.endsAt).getTime() <= now.getTime()) {
      throw badInput('endsAt', 'endsAt must lie ahead for a running campaign: endCampaign ends it now');
    }
    if (changed.includes('budgetPoints') && values.budgetPoints !== null) {
      // Awards running now take from the budget: its slots locked first, so that what it has paid
      // cannot grow between this check and the new budget (it was read before, and a budget lowered
      // while awards ran ended below what they had paid).
      await lockBudget(tx, current.id);
      const spent = await budgetSpent(tx, current.id);
      if (values.budgetPoints < spent) throw badInput('budgetPoints', `Campaign ${current.code} has paid ${spent} points from its budget already: budgetPoints cannot be less`);
    }
  }

  /**
   * Refuses (BAD_USER_INPUT naming the field) a definition upsertCampaign would refuse, writing
   * nothing: what simulateCampaign checks first, so that a typo in a tier, a tag or an activity
   * kind is an error there too, not a simulation of an audience or trigger that selects nobody.
   */
  async checkDefinition(definition: CampaignDefinition): Promise<void> {
    await this.checkReferences(campaignValues(definition));
  }

  /** What needs a lookup: the audience compiles and names known tiers and tags, the activity kind is a known one, the reward exists. */
  private async checkReferences(v: CampaignValues): Promise<void> {
    if (v.audience) {
      checkFilter(v.audience);
      await this.checkAudience(v.audience);
    }
    if (v.activityKind !== null) {
      const kinds = (await this.deps.points.activityRules()).map((r) => r.kind);
      if (!kinds.includes(v.activityKind)) throw badInput('activityKind', `Unknown activity kind ${v.activityKind}: known kinds are ${kinds.join(', ') || 'none yet'}`);
    }
    if (v.rewardCode !== null) {
      const rewards = await this.deps.rewards.list();
      if (!rewards.some((r) => r.code === v.rewardCode)) throw badInput('rewardCode', `Unknown reward ${v.rewardCode}`);
    }
  }

  /**
   * DRAFT or PAUSED → ACTIVE. Every member the audience selects now (null: every member) is
   * assigned to its arm in one statement, with campaign_control; those assigned before keep
   * theirs. Activating an ACTIVE campaign changes nothing; two activations at once serialise
   * on the campaign's row, and the second finds it ACTIVE. A campaign whose window has closed
   * cannot be activated.
   */
  async activate(actor: Actor, code: string, now = new Date()): Promise<CampaignRow> {
    return this.step(actor, code, 'activate', now, async (tx, current) => {
      if (current.endsAt !== null && new Date(current.endsAt).getTime() <= now.getTime()) {
        throw badInput('endsAt', `Campaign ${code}'s window closed at ${current.endsAt}: it cannot be activated`);
      }
      const row = await setCampaignStatus(tx, current.id, 'ACTIVE', now);
      // The first activation gives to events dated from startsAt on (a late purchase posted
      // after it is given by its instant): the members it assigns are in the campaign from
      // then, so that a report ending before the activation counts them with their awards.
      const startsAt = new Date(current.startsAt);
      const assigned = await this.assign(tx, row, current.status === 'DRAFT' && startsAt < now ? startsAt : now);
      return { row, audit: { assigned } };
    });
  }

  /** ACTIVE → PAUSED: a paused campaign gives nothing; its arms stay. */
  async pause(actor: Actor, code: string, now = new Date()): Promise<CampaignRow> {
    return this.step(actor, code, 'pause', now, async (tx, current) => ({ row: await setCampaignStatus(tx, current.id, 'PAUSED', now) }));
  }

  /** DRAFT, ACTIVE or PAUSED → ENDED, endedReason ADMIN. */
  async end(actor: Actor, code: string, now = new Date()): Promise<CampaignRow> {
    return this.step(actor, code, 'end', now, async (tx, current) => ({ row: await setCampaignStatus(tx, current.id, 'ENDED', now, 'ADMIN', now) }));
  }

  /**
   * One lifecycle action on the locked campaign: NOT_FOUND for an unknown code, BAD_USER_INPUT
   * for a transition the lifecycle does not have, nothing written when the campaign is already
   * where the action leads; else `work` and its audit entry, in one transaction.
   */
  private step(
    actor: Actor, code: string, action: CampaignAction, now: Date,
    work: (tx: EntityManager, current: CampaignRow) => Promise<{ row: CampaignRow; audit?: Record<string, unknown> }>,
  ): Promise<CampaignRow> {
    return inTransaction(this.em, async (tx) => {
      const locked = await lockCampaign(tx, code);
      if (!locked) throw notFound('Campaign', code);
      const current = await this.settleEnd(tx, locked, now);
      const next = lifecycleStep(current.status, action);
      if (!next) throw badInput('code', `Campaign ${code} is ${current.status}: it cannot ${action === 'end' ? 'be ended' : action === 'pause' ? 'be paused' : 'be activated'}`);
      if (next.noop) return current;
      const { row, audit } = await work(tx, current);
      this.audit.record(tx, actor, {
        action: `campaign.${action}`, entity: 'Campaign', entityId: code,
        before: { status: current.status }, after: { status: row.status, endedReason: row.endedReason, ...audit },
      });
      await tx.flush();
      return row;
    });
  }

  /**
   * The locked campaign as it stands at `now` (standingAt), written so when its endsAt has come:
   * a lifecycle action on a campaign whose window closed starts from ENDED (ENDS_AT), as the
   * nightly re-evaluation would have left it (endCampaign changes nothing more, pause and
   * activate are refused), not from the ACTIVE the job had not yet replaced.
   */
  private async settleEnd(tx: EntityManager, locked: CampaignRow, now: Date): Promise<CampaignRow> {
    return standingAt(locked, now) === locked ? locked : this.recordEnd(tx, locked, now);
  }

  /** Ends a campaign whose endsAt has come: ENDED, ENDS_AT, at its endsAt; audited as the system's. */
  private async recordEnd(tx: EntityManager, c: CampaignRow, at: Date): Promise<CampaignRow> {
    const row = await setCampaignStatus(tx, c.id, 'ENDED', at, 'ENDS_AT', new Date(c.endsAt!));
    this.audit.record(tx, SYSTEM_ACTOR, {
      action: 'campaign.end', entity: 'Campaign', entityId: c.code, before: { status: c.status }, after: { status: row.status, endedReason: 'ENDS_AT' },
    });
    return row;
  }

  private assign(tx: EntityManager, c: CampaignRow, at: Date, joinedBy: Date | null = null): Promise<number> {
    return assignArms(tx, c.id, c.controlPercent, memberSelection((c.audience ?? {})), at, joinedBy);
  }

  /**
   * The nightly re-evaluation at `asOf`: campaigns (ACTIVE or PAUSED) whose endsAt is at or
   * before asOf end (endedReason ENDS_AT, endedAt their endsAt); then each ACTIVE campaign's
   * audience is assigned again, set-based: members who match now and were never assigned join
   * their arm, those who left the audience keep theirs. One transaction per campaign.
   */
  async reevaluate(asOf: Date): Promise<{ processed: number; changed: number }> {
    const ended = await inTransaction(this.em, async (tx) => {
      const due = await lockCampaignsPastEnd(tx, asOf);
      for (const c of due) await this.recordEnd(tx, c, asOf);
      await tx.flush();
      return due.length;
    });
    const active = await activeCampaigns(this.em);
    let assigned = 0;
    for (const c of active) {
      // Not locked: the assignment is one idempotent statement and the arms' percent is fixed
      // since activation; a row lock would hold up whatever else waits on the campaign.
      // Members who had joined by asOf: a run as of a past instant leaves out those who joined since.
      assigned += await inTransaction(this.em, (tx) => this.assign(tx, c, asOf, asOf));
    }
    return { processed: ended + active.length, changed: ended + assigned };
  }

  /** Every campaign as it stands now (standingAt: one whose endsAt has come reads ENDED, ENDS_AT). */
  async list(now = new Date()): Promise<CampaignRow[]> {
    return (await listCampaigns(this.em)).map((c) => standingAt(c, now));
  }

  /** A campaign as it stands now (standingAt), or null. */
  async byCode(code: string, now = new Date()): Promise<CampaignRow | null> {
    const c = await campaignByCode(this.em, code);
    return c && standingAt(c, now);
  }

  /** The member's arm in the campaign: CONTROL, TREATMENT, or null when it was never assigned (the demo's history asks it). */
  async arm(code: string, memberId: string): Promise<'CONTROL' | 'TREATMENT' | null> {
    const control = await armOf(this.em, code, memberId);
    return control === null ? null : control ? 'CONTROL' : 'TREATMENT';
  }

  /** Per campaign id: net points given (awards minus reversals) and budget spent (that plus issued rewards' costPoints); absent for one that gave nothing. */
  async awardTotals(campaignIds: readonly string[]): Promise<Map<string, AwardTotals>> {
    return awardTotals(this.em, campaignIds);
  }
}
