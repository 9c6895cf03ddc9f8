import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../common/errors';
import { memberSelection } from '../segments/segments.service';
import type { CampaignTrigger } from './campaign.entities';
import { reportCampaign, reportSums, simulationSums } from './campaign-report.repository';
import { pointsCost, reportFigures, type ReportFigures } from './campaign-report.rules';

/** A campaign's report: its window and the figures of both arms. */
export interface CampaignReportResult extends ReportFigures {
  code: string;
  from: Date;
  to: Date;
}

/** A campaign's definition in stored units (cents, the multiplier as exact text), as the simulation applies it. */
export interface SimulationDefinition {
  code: string;
  trigger: CampaignTrigger;
  audience: Record<string, unknown> | null;
  activityKind: string | null;
  minAmountCents: number | null;
  bonusPoints: number | null;
  multiplier: string | null;
  rewardCode: string | null;
  perMemberLimit: number | null;
  budgetPoints: number | null;
  controlPercent: number;
}

export interface CampaignSimulationResult {
  eligibleMembers: number;
  qualifyingEvents: number;
  pointsWouldGive: number;
  /** Currency units: (points + issued rewards' costPoints) × program.pointValue. */
  costWouldBe: number;
}

/** md5('campaign:' || code)::uuid: the id a campaign of this code has (campaigns.rules campaignIdOf). */
function idOfCode(code: string): string {
  const h = createHash('md5').update(`campaign:${code}`, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * What a campaign earned (campaignReport: treatment against control over its window) and what
 * one would have given over a past period (simulateCampaign). Reads only: no transaction.
 */
export class CampaignReportService {
  constructor(private readonly em: EntityManager) {}

  /**
   * The report over [startsAt, min(endsAt, asOf)); a window not begun at asOf is empty (to =
   * from). NOT_FOUND for an unknown code.
   */
  async report(code: string, asOf: Date = new Date()): Promise<CampaignReportResult> {
    if (Number.isNaN(asOf.getTime())) throw badInput('asOf', 'asOf is not a date');
    const campaign = await reportCampaign(this.em, code);
    if (!campaign) throw notFound('Campaign', code);
    const from = campaign.startsAt;
    const end = campaign.endsAt && campaign.endsAt < asOf ? campaign.endsAt : asOf;
    const to = end < from ? from : end;
    const sums = await reportSums(this.em, campaign.id, from, to);
    return { code: campaign.code, from, to, ...reportFigures(sums) };
  }

  /**
   * What `definition` would have given over [from, to), writing nothing. The arms are those of
   * the stored campaign with this code, or of campaignIdOf(code) for one never saved (the same
   * id it will get): the simulation leaves out the members the real campaign would hold out.
   * The period replaces the campaign's own window (the question is "had it run then").
   */
  async simulate(definition: SimulationDefinition, from: Date, to: Date): Promise<CampaignSimulationResult> {
    if (Number.isNaN(from.getTime())) throw badInput('from', 'from is not a date');
    if (Number.isNaN(to.getTime())) throw badInput('to', 'to is not a date');
    if (to <= from) throw badInput('to', 'to must be after from');
    const stored = await reportCampaign(this.em, definition.code);
    const sums = await simulationSums(this.em, {
      ...definition,
      id: stored?.id ?? idOfCode(definition.code),
      audience: memberSelection(definition.audience ?? {}),
    }, from, to);
    return {
      eligibleMembers: sums.eligibleMembers,
      qualifyingEvents: sums.qualifyingEvents,
      pointsWouldGive: sums.points,
      costWouldBe: pointsCost(sums.points + sums.rewardCostPoints, sums.pointValue),
    };
  }
}
