import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../common/errors';
import { inTransaction } from '../../db/transaction';
import type { Actor } from '../actor';
import { AuditService, snapshot } from '../audit/audit.service';
import { Tier } from './tier.entity';
// TEMP until tiers.rules lands
interface TierRung { id: string; code: string; rank: number; qualifyingPoints: number; retainPoints: number; pointsMultiplier: number }
function validateLadder(t: TierRung[]): { field: string; message: string } | null {
  const s = [...t].sort((a, b) => a.rank - b.rank);
  for (let i = 0; i < s.length; i++) {
    if (s[i].rank !== i) return { field: 'rank', message: 'ranks must be unique and contiguous from 0' };
    if (i > 0 && s[i].qualifyingPoints <= s[i - 1].qualifyingPoints) return { field: 'qualifyingPoints', message: 'rising' };
    if (s[i].retainPoints > s[i].qualifyingPoints) return { field: 'retainPoints', message: 'retain' };
    if (s[i].pointsMultiplier < 1) return { field: 'pointsMultiplier', message: 'mult' };
  }
  return null;
}

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

export class TiersService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService) {}

  async ladder(): Promise<Tier[]> {
    return this.em.find(Tier, {}, { orderBy: { rank: 'asc' } });
  }

  /** Keyed by code. The whole ladder must stay valid after the change. */
  async upsert(actor: Actor, input: TierInput): Promise<Tier> {
    if (Number(input.pointsMultiplier.toFixed(4)) !== input.pointsMultiplier) {
      throw badInput('pointsMultiplier', 'pointsMultiplier takes at most 4 decimals');
    }
    return inTransaction(this.em, async (tx) => {
      // Ladder edits are rare; one at a time keeps the validation of the whole ladder sound.
      await tx.execute('lock table "tier" in share row exclusive mode');
      const tiers = await tx.find(Tier, {}, { orderBy: { rank: 'asc' } });
      let tier = tiers.find((t) => t.code === input.code);
      const before = tier ? snapshot(tier, FIELDS) : null;
      if (!tier) {
        tier = new Tier();
        tiers.push(tier);
        tx.persist(tier);
      }
      Object.assign(tier, input);
      const problem = validateLadder(tiers.map(toRung));
      if (problem) throw badInput(problem.field, problem.message);
      this.audit.record(tx, actor, {
        action: before ? 'tier.update' : 'tier.create', entity: 'Tier', entityId: input.code,
        before, after: snapshot(tier, FIELDS),
      });
      await tx.flush();
      return tier;
    });
  }
}
