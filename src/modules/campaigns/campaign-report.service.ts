import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../common/errors';
import { uuidRange } from '../../common/uuid-range.rules';
import { inSharedSnapshot } from '../../db/transaction';
import { checkFilter, memberSelection } from '../segments/segments.service';
import { lastAwardFrom, reportArms, reportAwards, reportCampaign, rewardCostPoints, simulationSums, useReportWorkMem, type ReportCampaignRow } from './campaign-report.repository';
import { addArms, pointsCost, reportFigures, type ReportFigures } from './campaign-report.rules';
import { campaignIdOf, campaignValues, type CampaignDefinition } from './campaigns.rules';

/** A campaign's report: its window and the figures of both arms. */
export interface CampaignReportResult extends ReportFigures {
  code: string;
  from: Date;
  to: Date;
}

export interface CampaignSimulationResult {
  eligibleMembers: number;
  qualifyingEvents: number;
  pointsWouldGive: number;
  /** Currency units: (points + issued rewards' costPoints) × program.pointValue. */
  costWouldBe: number;
}

/**
 * The report's ranges of members, each summed on a connection of its own at once: the
 * window's purchases grouped per member is most of a report's work (a hash aggregate, one
 * core's), and two halves take two of the database's cores. At 1M members and 10M purchases
 * (docs/benchmarks.md, "Campaign report", a quiet machine): 5.8 s in one statement, 3.1–3.9 s
 * in two halves, for 1.7× the CPU (each half scans the window again).
 */
const REPORT_PARTS = 2;

/**
 * What a campaign earned (campaignReport: treatment against control over its window) and what
 * one would have given over a past period (simulateCampaign). Reads only: no transaction.
 */
export class CampaignReportService {
  constructor(private readonly em: EntityManager) {}

  /**
   * The report over [startsAt, min(endsAt, endedAt, asOf)): a campaign ended early (endCampaign,
   * a spent budget) is measured up to its end, as it gives nothing to events from then on, and
   * its report no longer grows with the purchases after it (its end moved past any award dated
   * after it, which an event racing the end can be: endedAt); the refunds of its purchases are
   * counted up to asOf (a return after the end is still a return of what it sold, and its
   * award's reversal is out of the cost). The reversals carry no date: a report as of a past
   * date counts them as they stand today (reportAwards), so between the window's end and a
   * later refund it has the refund's money in GMV and not its award's points in the cost. A
   * window not begun at asOf is empty (to = from). NOT_FOUND for an unknown code.
   */
  async report(code: string, asOf: Date = new Date()): Promise<CampaignReportResult> {
    if (Number.isNaN(asOf.getTime())) throw badInput('asOf', 'asOf is not a date');
    const campaign = await reportCampaign(this.em, code);
    if (!campaign) throw notFound('Campaign', code);
    const from = campaign.startsAt;
    const end = [campaign.endsAt, await this.endedAt(campaign)].reduce<Date>((t, e) => (e && e < t ? e : t), asOf);
    const to = end < from ? from : end;
    // The members in REPORT_PARTS ranges, each summed on a connection of its own, all in one
    // snapshot; the awards with the first part. Every field of an arm is a sum over its members.
    const parts = await inSharedSnapshot(this.em, REPORT_PARTS, async (tx, part) => {
      await useReportWorkMem(tx);
      const arms = await reportArms(tx, campaign.id, from, to, asOf < to ? to : asOf, uuidRange(part, REPORT_PARTS));
      return { arms, awards: part === 0 ? await reportAwards(tx, campaign.id, from, to) : null };
    });
    const awards = parts[0].awards;
    if (!awards) throw new Error('the first part sums the awards');
    const sums = {
      treatment: parts.map((p) => p.arms.treatment).reduce(addArms),
      control: parts.map((p) => p.arms.control).reduce(addArms),
      ...awards,
    };
    return { code: campaign.code, from, to, ...reportFigures(sums) };
  }

  /**
   * Where the report of a campaign ended early stops: its end, or just after the latest of its
   * awards dated at or after the end (lastAwardFrom), so that every award it gave is in its window
   * with its purchase (the window is half-open: 1 ms after the award). Null: not ended.
   */
  private async endedAt(campaign: ReportCampaignRow): Promise<Date | null> {
    if (!campaign.endedAt) return null;
    const last = await lastAwardFrom(this.em, campaign.id, campaign.endedAt);
    return last ? new Date(last.getTime() + 1) : campaign.endedAt;
  }

  /**
   * What `definition` would have given over [from, to), writing nothing. The arms are those of
   * the stored campaign with this code, or of campaignIdOf(code) for one never saved (the same
   * id it will get): the simulation leaves out the members the real campaign would hold out.
   * The period replaces the campaign's own window (the question is "had it run then").
   */
  async simulate(definition: CampaignDefinition, from: Date, to: Date): Promise<CampaignSimulationResult> {
    const values = campaignValues(definition);
    if (Number.isNaN(from.getTime())) throw badInput('from', 'from is not a date');
    if (Number.isNaN(to.getTime())) throw badInput('to', 'to is not a date');
    if (to <= from) throw badInput('to', 'to must be after from');
    // The audience is checked as upsertCampaign checks it (the lists' caps, ranges no member can be in).
    if (values.audience) checkFilter(values.audience);
    const audience = memberSelection(values.audience ?? {});
    if (values.rewardCode !== null && (await rewardCostPoints(this.em, values.rewardCode)) === null) throw badInput('rewardCode', `Unknown reward ${values.rewardCode}`);
    const stored = await reportCampaign(this.em, definition.code);
    const sums = await simulationSums(this.em, { ...values, id: stored?.id ?? campaignIdOf(definition.code), audience }, from, to);
    return {
      eligibleMembers: sums.eligibleMembers,
      qualifyingEvents: sums.qualifyingEvents,
      pointsWouldGive: sums.points,
      costWouldBe: pointsCost(sums.points + sums.rewardCostPoints, sums.pointValue),
    };
  }
}
