import { Migration } from '@mikro-orm/migrations';
import { EFFECTS_GATED } from './Migration20261221090000_campaign_budget_gate';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';

/**
 * A campaign acts on an event by the event's instant alone, whenever the event arrives (domain.md,
 * "Time"; store back ends post purchases late, in batches). It gave by its status at the write:
 * a purchase dated inside the window but posted after the campaign ended (by its endsAt, by an
 * admin) got nothing, though posted on time it would have got the award; one dated during a pause
 * and posted after the campaign resumed got the award a purchase posted on time did not.
 *
 * Now an event dated t is given by a campaign iff the campaign has been activated, t lies in its
 * window [starts_at, ends_at), t is before ended_at (when it stopped giving: its endsAt, the
 * admin's end), and t lies in none of its pauses; a campaign whose budget ran out (ended
 * BUDGET_SPENT) gives nothing more, to any event (the budget goes in arrival order). `paused`
 * holds the pauses: a pause adds [paused at, ∞), a resume takes [resumed at, ∞) away again.
 * The first activation still reaches back to starts_at (a campaign activated after its start
 * acts on events dated since then, as it did).
 *
 * Campaigns PAUSED at the upgrade are paused from their last `campaign.pause` in the audit log
 * (else their last change); earlier pauses, before the upgrade, were not recorded as periods.
 */
const STATUS_CHECK = `if c.status <> 'ACTIVE' or p_at < c.starts_at or (c.ends_at is not null and p_at >= c.ends_at) then`;
const INSTANT_CHECK = `if c.activated_at is null or c.ended_reason = 'BUDGET_SPENT' or p_at < c.starts_at or (c.ends_at is not null and p_at >= c.ends_at)
              or (c.ended_at is not null and p_at >= c.ended_at) or c.paused @> p_at then`;

export const EFFECTS_BY_INSTANT = replaceOnce(EFFECTS_GATED, STATUS_CHECK, INSTANT_CHECK);

export class Migration20261222090000_campaign_pauses extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table campaign add column paused tstzmultirange not null default '{}'`);
    // Every ENDED campaign says when it stopped giving (the lifecycle always wrote it; a row written by hand may not have).
    this.addSql(`update campaign set ended_at = coalesce(activated_at, starts_at) where status = 'ENDED' and ended_at is null`);
    this.addSql(`update campaign c set paused = tstzmultirange(tstzrange(coalesce(
        (select max(a.at) from audit_entry a where a.entity = 'Campaign' and a.entity_id = c.code and a.action = 'campaign.pause'), c.updated_at), null))
      where c.status = 'PAUSED'`);
    this.addSql(EFFECTS_BY_INSTANT);
  }

  override async down(): Promise<void> {
    this.addSql(EFFECTS_GATED);
    this.addSql('alter table campaign drop column paused');
  }
}
