import { Migration } from '@mikro-orm/migrations';

/**
 * An erased member leaves the programme's counts of members now: `Tier.memberCount` (the member
 * table's triggers into tier_member_delta count the members not erased), as `programStats` and
 * the RFM cells (retention.repository.ts) leave it out. Its row, ledger, tier history and
 * purchases stay for the programme's history (growth, points flow, campaign reports), anonymous;
 * but the headcounts counted it for ever while every list and segment had dropped it, so the
 * console's dashboard and Tiers page disagreed with its Members page (an outside audit: 201
 * members and Gold 6 against 199 and 4 after two erasures). The erasures made before this
 * migration are taken out of the counts by one delta per tier.
 */
const fn = (name: string, body: string) => `create or replace function ${name}() returns trigger language plpgsql as $$ begin
      ${body}
      return null; end $$;`;

const counted = (notErased: boolean) => (notErased ? ' and erased_at is null' : '');

const INS = (n: boolean) => fn('tier_member_delta_ins',
  `insert into tier_member_delta (tier_id, delta) select tier_id, count(*) from new_members where tier_id is not null${counted(n)} group by tier_id;`);
const DEL = (n: boolean) => fn('tier_member_delta_del',
  `insert into tier_member_delta (tier_id, delta) select tier_id, -count(*) from old_members where tier_id is not null${counted(n)} group by tier_id;`);
// Net change per tier = members counted in it now − members counted in it before (two aggregates over the transition tables, migration review_hot).
const UPD = (n: boolean) => fn('tier_member_delta_upd', `insert into tier_member_delta (tier_id, delta)
        select tier_id, sum(d)::int from (
          select tier_id, count(*) as d from new_members where tier_id is not null${counted(n)} group by tier_id
          union all
          select tier_id, -count(*) from old_members where tier_id is not null${counted(n)} group by tier_id
        ) c group by tier_id having sum(d) <> 0;`);

const erasedDelta = (sign: '' | '-') => `insert into tier_member_delta (tier_id, delta)
  select tier_id, ${sign}count(*) from member where erased_at is not null and tier_id is not null group by tier_id;`;

export class Migration20270103100000_erased_member_counts extends Migration {
  override async up(): Promise<void> {
    this.addSql(INS(true));
    this.addSql(DEL(true));
    this.addSql(UPD(true));
    this.addSql(erasedDelta('-'));
  }

  override async down(): Promise<void> {
    this.addSql(INS(false));
    this.addSql(DEL(false));
    this.addSql(UPD(false));
    this.addSql(erasedDelta(''));
  }
}
