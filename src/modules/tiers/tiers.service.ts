import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, otherCaseOf } from '../../common/errors';
import { inTransaction } from '../../db/transaction';
import type { Actor } from '../actor';
import { AuditService, snapshot } from '../audit/audit.service';
import type { TierChangeRow } from './tier-engine.service';
import { Tier } from './tier.entity';
import { changeById, lockLadder, moveRanks, scrubChangeReasons, unknownTierCodes as unknownCodes } from './tiers.repository';
import { placeAtRank, validateLadder, type TierRung } from './tiers.rules';

export interface TierInput {
  code: string;
  name: string;
  rank: number;
  qualifyingPoints: number;
  retainPoints: number;
  pointsMultiplier: number;
}

const FIELDS: (keyof Tier)[] = ['code', 'name', 'rank', 'qualifyingPoints', 'retainPoints', 'pointsMultiplier'];

export const toRung = (t: Tier): TierRung => ({
  id: t.id, code: t.code, rank: t.rank, qualifyingPoints: t.qualifyingPoints,
  retainPoints: t.retainPoints, pointsMultiplier: t.pointsMultiplier,
});

/**
 * The codes of `codes` that name no tier, in the order given, read in the caller's transaction
 * (`em`): how benefits, rewards and segment filters check the tier codes they are given.
 */
export function unknownTierCodes(em: EntityManager, codes: readonly string[]): Promise<string[]> {
  return unknownCodes(em, codes);
}

export class TiersService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService) {}

  async ladder(): Promise<Tier[]> {
    return this.em.find(Tier, {}, { orderBy: { rank: 'asc' } });
  }

  /** A tier change by id, on `em` (a write's transaction, or not); null when there is none. The points ledger's replays read it here. */
  async changeById(em: EntityManager, id: string): Promise<TierChangeRow | null> {
    return changeById(em, id);
  }

  /** An erasure's part (data-rights.service.ts), in its transaction: personal values quoted in the member's tier change reasons (an override's) replaced. */
  async scrubReasonsForErasure(tx: EntityManager, memberId: string, personal: string[]): Promise<void> {
    if (personal.length) await scrubChangeReasons(tx, memberId, personal);
  }

  /**
   * Keyed by code. A rank another tier holds makes room (placeAtRank): a tier added there goes
   * between two, those above it moving up one; a tier given another rank moves there, those it
   * passes moving by one (each moved tier audited). The whole ladder must stay valid after the change.
   */
  async upsert(actor: Actor, input: TierInput): Promise<Tier> {
    if (Number(input.pointsMultiplier.toFixed(4)) !== input.pointsMultiplier) {
      throw badInput('pointsMultiplier', 'pointsMultiplier takes at most 4 decimals');
    }
    return inTransaction(this.em, async (tx) => {
      await lockLadder(tx);
      const tiers = await tx.find(Tier, {}, { orderBy: { rank: 'asc' } });
      let tier = tiers.find((t) => t.code === input.code);
      const otherCase = tier ? undefined : tiers.find((t) => t.code.toLowerCase() === input.code.toLowerCase());
      if (otherCase) throw otherCaseOf('code', 'tier', input.code, otherCase.code);
      const before = tier ? snapshot(tier, FIELDS) : null;
      const ranks = placeAtRank(tiers, input.code, input.rank);
      const moved = tiers.filter((t) => t.code !== input.code && ranks.get(t.code) !== t.rank);
      const rungs = [...tiers.filter((t) => t.code !== input.code).map((t) => ({ ...toRung(t), rank: ranks.get(t.code)! })), { id: tier?.id ?? '', ...input }];
      const problem = validateLadder(rungs);
      if (problem) throw badInput(problem.field, problem.message);
      const beforeMoved = moved.map((t) => snapshot(t, FIELDS));
      // The ranks moved in SQL first (the unique rank, one tier at a time, would see two at once), the tier itself with them.
      await moveRanks(tx, new Map([...moved, ...(tier && tier.rank !== input.rank ? [tier] : [])].map((t) => [t.id, ranks.get(t.code)!])));
      for (const t of moved) t.rank = ranks.get(t.code)!;
      if (!tier) {
        tier = new Tier();
        tiers.push(tier);
        tx.persist(tier);
      }
      Object.assign(tier, input);
      moved.forEach((t, i) => this.audit.record(tx, actor, {
        action: 'tier.update', entity: 'Tier', entityId: t.code, before: beforeMoved[i], after: snapshot(t, FIELDS),
      }));
      // The same tier again (a retry) writes nothing: no update, no audit entry.
      if (before && JSON.stringify(before) === JSON.stringify(snapshot(tier, FIELDS))) return tier;
      this.audit.record(tx, actor, {
        action: before ? 'tier.update' : 'tier.create', entity: 'Tier', entityId: input.code,
        before, after: snapshot(tier, FIELDS),
      });
      await tx.flush();
      return tier;
    });
  }
}
