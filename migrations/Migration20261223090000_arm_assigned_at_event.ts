import { Migration } from '@mikro-orm/migrations';
import { EFFECTS_BY_INSTANT } from './Migration20261222090000_campaign_pauses';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';

/**
 * A member first found by an event joins its arm as of the event's instant, not as of the
 * event's arrival. The report counts the members assigned by its window's end; a purchase dated
 * inside the window and posted after the window had closed (a till syncing late; campaigns give
 * by the event's instant since migration campaign_pauses) was awarded, and its points counted
 * in the report's cost, while its member, assigned at arrival, and its purchase were left out of
 * the arms: the report depended on when the till synced. Arms written at activation and by the
 * nightly job take the activation's instant and the job's asOf (campaigns.repository
 * assignArms). Arms already written keep the instant they have.
 */
const ARM_AT_ARRIVAL = 'insert into campaign_member (campaign_id, member_id, control) values (c.id, p_member, campaign_control(c.id, p_member, c.control_percent))';
const ARM_AT_EVENT = 'insert into campaign_member (campaign_id, member_id, control, assigned_at) values (c.id, p_member, campaign_control(c.id, p_member, c.control_percent), p_at)';

export const EFFECTS_ARM_AT_EVENT = replaceOnce(EFFECTS_BY_INSTANT, ARM_AT_ARRIVAL, ARM_AT_EVENT);

export class Migration20261223090000_arm_assigned_at_event extends Migration {
  override async up(): Promise<void> {
    this.addSql(EFFECTS_ARM_AT_EVENT);
  }

  override async down(): Promise<void> {
    this.addSql(EFFECTS_BY_INSTANT);
  }
}
