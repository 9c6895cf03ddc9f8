import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../db/array-literal';
import { safeInteger } from '../../common/safe-integer';
import { withDates } from '../../db/rows';
import { debtTakesExpiring } from '../../db/lot-debt';
import { localDayNumberSql } from '../../db/local-days';
import { TUPLE_BASE } from './churn.fit';
import { figuresOf, type BgNbdParams, type ChurnBacktest, type ChurnMethod } from './churn.rules';
import { LIFECYCLE_STAGES } from './retention.rules';

/**
 * The retention module's SQL, in one place: the refresh's set-based statements (facts, RFM
 * statistics, the new rows, the transitions, the swap) and the reports. Every function takes
 * the caller's EntityManager (a transaction's, where the service runs one); none opens a
 * transaction of its own: the service does.
 *
 * Reads of other modules' tables, all set-based (one statement for every member, never a loop
 * per member), each noted at its function: purchase and refund (points), member (members),
 * program (program), point_account and point_transaction (points), tier (tiers).
 */

/**
 * Memory for the sorts and hashes of one refresh (a million members, ten million purchases);
 * PostgreSQL's default 4 MB sent them to disk. Set for the refresh's own transactions only.
 */
const REFRESH_WORK_MEM = '256MB';

/**
 * A purchase's programme-local day number, wherever a statement says `${DAY}`: the expression
 * of purchase_member_day_index (rebuilt for the zone whenever the zone changes), so that the
 * refresh reads that index.
 */
const DAY_PLACEHOLDER = /\$\{DAY\}/g;
const withDay = (sql: string, timeZone: string) => sql.replace(DAY_PLACEHOLDER, localDayNumberSql('pu.occurred_at', timeZone));

/**
 * What had been refunded of the purchase `pu` by the instant `at` (its refunds dated `op` it:
 * `<=` as of a date, `<` before the end of a range; `at` a bound parameter unless a column is
 * given): `refunded_cents`, every refund recorded whenever dated, less the refunds dated after
 * that. What a history import recorded as refunded (`refundedAmount`: no refund row, no date)
 * counts as refunded from the purchase on. Only a purchase with a refund looks its refunds up,
 * by order (refund_order_index), so a pass over the purchases stays index-only and in order.
 */
const refundedBy = (op: '<=' | '<', at = '?::timestamptz') =>
  `(case when pu.refunded_cents = 0 then 0 else pu.refunded_cents - (select coalesce(sum(r.amount_cents), 0) from refund r where r.order_id = pu.order_id and r.occurred_at ${op === '<=' ? '>' : '>='} ${at}) end)`;

/** Whether `pu` was still a purchase then: not refunded in full. One parameter, as refundedBy (or its column). */
const boughtBy = (op: '<=' | '<', at?: string) => `(pu.refunded_cents = 0 or ${refundedBy(op, at)} < pu.amount_cents)`;

/**
 * A refresh, step 1: every buyer's purchase facts as of asOf, and as of the
 * backtest day, into the unlogged scratch table retention_facts. One index-only pass over
 * purchase_member_day_index, which yields purchases in (member, day) order: the group needs no
 * hash, and the array of distinct purchase days no sort (PostgreSQL feeds that DISTINCT
 * aggregate the presorted rows). The days give x, first, last and previous day; width_bucket,
 * a binary search in that sorted array, the number of days up to the backtest day and up to the
 * supervised classifier's two training cuts (FactDates). Frequency
 * and monetary count the 365 days before asOf. As of asOf means the purchases dated by then
 * and the refunds dated by then: a purchase refunded in full by asOf is no purchase (not in
 * the days, frequency, recency or the churn inputs), a partial refund lowers monetary. (The
 * backtest's days are these same purchases, by their refunds as of asOf.) An aggregate with
 * DISTINCT has no parallel plan, so the refresh runs this once per half of the members, on
 * two connections at once (`${RANGE}` is the half's bound). Parameters: the backtest day
 * twice, the training cut twice, the backtest's training cut twice, the 365-day start, asOf, the 365-day start again (a value: timestamptz minus an
 * interval would be computed again for every purchase), asOf three times, then the half's
 * bound.
 */
const FACTS_SQL = `
insert into retention_facts (member_id, first_at, last_at, frequency, monetary, first_day, last_day, prev_day, x, bt_x, bt_last_day,
  tr_x, tr_last_day, bt_tr_x, bt_tr_last_day)
select member_id, first_at, last_at, frequency, monetary, days[1], days[cardinality(days)], days[cardinality(days) - 1],
  cardinality(days) - 1, width_bucket(?::int, days) - 1, days[width_bucket(?::int, days)],
  width_bucket(?::int, days) - 1, days[width_bucket(?::int, days)], width_bucket(?::int, days) - 1, days[width_bucket(?::int, days)]
from (
  select pu.member_id, min(pu.occurred_at) as first_at, max(pu.occurred_at) as last_at,
    count(*) filter (where pu.occurred_at > ?::timestamptz)::int as frequency,
    coalesce(sum(pu.amount_cents - ${refundedBy('<=')}) filter (where pu.occurred_at > ?::timestamptz), 0)::bigint as monetary,
    array_agg(distinct \${DAY} order by \${DAY}) as days
  from purchase pu where pu.occurred_at <= ?::timestamptz and ${boughtBy('<=')} \${RANGE pu.member_id} group by pu.member_id
) per_member`;

/**
 * A half's bound on the member id, wherever a statement here says `${RANGE}` (member_id) or
 * `${RANGE column}`: below the split, from it, or everyone. Each takes the split as a
 * parameter, except everyone's.
 */
const HALVES = { below: 'and member_id < ?::uuid', from: 'and member_id >= ?::uuid', all: '' } as const;
export type Half = keyof typeof HALVES;
const RANGE = /\$\{RANGE(?: ([\w.]+))?\}/g;
const inHalf = (sql: string, half: Half) => sql.replace(RANGE, (_, column?: string) => HALVES[half].replace('member_id', column ?? 'member_id'));
const boundOf = (sql: string, half: Half, split: string | null) => (half === 'all' ? [] : (sql.match(RANGE) ?? []).map(() => split));

/**
 * FACTS_SQL, and from the rows it inserts (no second scan of the table), the half's BG/NBD
 * inputs, grouped, written out as text for the fits' workers (TupleText): (x, t_x, T) as of
 * asOf; and as of the backtest day, for buyers by then, with whether they bought after it (up
 * to asOf). The supervised classifier's training sets, the same way: as of the training cut,
 * with whether they bought after it (up to asOf), unless the cut is the backtest day (the
 * backtest's rows are then that set) or there is no classifier; as of the backtest's training
 * cut, with whether they bought after it up to the backtest day. With the number of each and
 * whether anyone repeated (x > 0: a key of at least TUPLE_BASE²). Parameters: FACTS_SQL's, asOf's
 * day, the backtest day twice, the training cut twice and whether to read it, the backtest's
 * training cut twice and whether to read it.
 */
const FACTS_AND_TUPLES_SQL = `
with facts as (${FACTS_SQL} returning x, first_day, last_day, bt_x, bt_last_day, tr_x, tr_last_day, bt_tr_x, bt_tr_last_day),
tuples as (
  select 0 as kind, (x::bigint * ${TUPLE_BASE} + (last_day - first_day)) * ${TUPLE_BASE} + (?::int - first_day) as key, count(*)::int as n
  from facts group by 2
  union all
  select 1, ((bt_x::bigint * ${TUPLE_BASE} + (bt_last_day - first_day)) * ${TUPLE_BASE} + (?::int - first_day)) * 2 + (last_day > ?::int)::int, count(*)::int
  from facts where bt_x >= 0 group by 2
  union all
  select 2, ((tr_x::bigint * ${TUPLE_BASE} + (tr_last_day - first_day)) * ${TUPLE_BASE} + (?::int - first_day)) * 2 + (last_day > ?::int)::int, count(*)::int
  from facts where tr_x >= 0 and ?::boolean group by 2
  union all
  select 3, ((bt_tr_x::bigint * ${TUPLE_BASE} + (bt_tr_last_day - first_day)) * ${TUPLE_BASE} + (?::int - first_day)) * 2 + (bt_last_day > ?::int)::int, count(*)::int
  from facts where bt_tr_x >= 0 and ?::boolean group by 2
)
select coalesce(string_agg(key || ' ' || n, ' ') filter (where kind = 0), '') as current,
  coalesce(string_agg(key || ' ' || n, ' ') filter (where kind = 1), '') as backtest,
  coalesce(string_agg(key || ' ' || n, ' ') filter (where kind = 2), '') as training,
  coalesce(string_agg(key || ' ' || n, ' ') filter (where kind = 3), '') as "backtestTraining",
  (count(*) filter (where kind = 0))::int as "currentRows", (count(*) filter (where kind = 1))::int as "backtestRows",
  (count(*) filter (where kind = 2))::int as "trainingRows", (count(*) filter (where kind = 3))::int as "backtestTrainingRows",
  coalesce(bool_or(key >= ${TUPLE_BASE}::bigint * ${TUPLE_BASE}) filter (where kind = 0), false) as repeat
from tuples`;

/**
 * What the RFM scores are relative to, over all buyers: their number; the programme means
 * (the eight-cell cube compares each buyer with them); and the monetary quintile bounds. A
 * buyer's monetary score is 1 + floor(5 (rank − 1) / n), rank counting ties as one
 * (1 + the buyers who spent less), so it is 1 + the number of k in 1..4 with
 * monetary > s[ceil(k n / 5)], s being the sorted amounts. Means come back as exact numerics.
 */
const STATS_SQL = `
select n::int, mean_last_day::text as "meanLastDay", mean_frequency::text as "meanFrequency", mean_monetary::text as "meanMonetary",
  array[s[(n + 4) / 5], s[(2 * n + 4) / 5], s[(3 * n + 4) / 5], s[(4 * n + 4) / 5]]::text[] as bounds
from (
  select count(*) as n, avg(last_day) as mean_last_day, avg(frequency) as mean_frequency, avg(monetary) as mean_monetary,
    array_agg(monetary order by monetary) as s
  from retention_facts
) all_buyers`;

/**
 * Recency and frequency take few distinct values (days, counts), so their quintile scores
 * come from a histogram: rank = 1 + the buyers before the value. Longer recency ranks first,
 * that is an earlier last day. Parameter: the number of buyers.
 */
const SCORE_BY_SQL = (column: 'last_day' | 'frequency') => `
select ${column} as value, 1 + floor(5.0 * (sum(count(*)) over (order by ${column}) - count(*)) / ?)::int as score
from retention_facts group by ${column}`;

/**
 * A buyer's lifecycle stage past NEW, as CASE branches (docs/retention.md): REACTIVATED, then by
 * recency ACTIVE, AT_RISK, DORMANT, CHURNED, on the day `day` with its last and previous purchase
 * days; the thresholds are `s`'s columns. BUILD_SQL and the late-facts repair classify alike.
 */
const byRecency = (day: string, last: string, prev: string) => `when ${day} - ${last} <= s.new_days and ${prev} is not null and ${last} - ${prev} > s.at_risk_days then 'REACTIVATED'
    when ${day} - ${last} <= s.active_days then 'ACTIVE'
    when ${day} - ${last} <= s.at_risk_days then 'AT_RISK'
    when ${day} - ${last} <= s.dormant_days then 'DORMANT'
    else 'CHURNED'`;

/**
 * A refresh, step 2: every member's row, into a new table (member_retention_next, not seen by
 * readers until the swap), one half of the members per statement, the halves at once. From
 * the facts, the scores and the previous rows: RFM against the statistics above, the
 * eight-cell cube, the lifecycle stage, the churn scores (computed in the fit's worker per
 * distinct (x, t_x, T), passed as arrays keyed by tupleKey). The stage before asOf rides
 * along as old_stage, for the transitions; `${PREVIOUS}` is where it comes from (PREVIOUS).
 * Parameters: the four monetary bounds, the mean monetary, asOf, asOf's day, the means of last
 * day and frequency, the last-day and frequency histograms (values, scores), the score arrays
 * (tuple key, P(alive), churn risk), asOf again (who had joined by then, or bought by then: a
 * buyer as of asOf has facts, which the scores and the fit count); the half's bound
 * goes first, twice (facts, previous stages, after PREVIOUS's own), and last once.
 */
const BUILD_SQL = `
insert into member_retention_next (member_id, as_of, stage, stage_since, first_purchase_at, last_purchase_at, recency_days, frequency,
  monetary_cents, r, f, m, rfm_segment, x, tx, t_days, alive_probability, churn_risk, old_stage)
select m.id, s.as_of, st.stage, case when o.stage = st.stage then o.stage_since else s.as_of end,
  f.first_at, f.last_at, s.as_of_day - f.last_day, f.frequency, f.monetary, br.score, bf.score,
  1 + (f.monetary > ?::bigint)::int + (f.monetary > ?::bigint)::int + (f.monetary > ?::bigint)::int + (f.monetary > ?::bigint)::int,
  case when f.member_id is null then null else
    (case when f.monetary >= ?::numeric then 'IMPORTANT_' else 'GENERAL_' end) ||
    (case when f.last_day > s.mean_last_day and f.frequency >= s.mean_frequency then 'VALUE' when f.last_day > s.mean_last_day then 'DEVELOP'
      when f.frequency >= s.mean_frequency then 'RETAIN' else 'WINBACK' end)
  end,
  f.x, f.last_day - f.first_day, s.as_of_day - f.first_day, v.p, v.c, o.stage
from member m
cross join (
  select ?::timestamptz as as_of, ?::int as as_of_day, ?::numeric as mean_last_day, ?::numeric as mean_frequency,
    lifecycle_new_days as new_days, lifecycle_active_days as active_days, lifecycle_at_risk_days as at_risk_days, lifecycle_dormant_days as dormant_days
  from program where id = 1
) s
left join retention_facts f on f.member_id = m.id \${RANGE f.member_id}
left join \${PREVIOUS} o on o.member_id = m.id \${RANGE o.member_id}
left join unnest(?::int[], ?::int[]) as br(last_day, score) on br.last_day = f.last_day
left join unnest(?::int[], ?::int[]) as bf(frequency, score) on bf.frequency = f.frequency
left join unnest(?::int8[], ?::float8[], ?::float8[]) as v(tuple_key, p, c)
  on v.tuple_key = (f.x::bigint * ${TUPLE_BASE} + (f.last_day - f.first_day)) * ${TUPLE_BASE} + (s.as_of_day - f.first_day)
cross join lateral (select case
    when f.member_id is null then 'PROSPECT'
    when s.as_of_day - f.first_day <= s.new_days then 'NEW'
    ${byRecency('s.as_of_day', 'f.last_day', 'f.prev_day')}
  end as stage) st
where (m.joined_at <= ?::timestamptz or f.member_id is not null) \${RANGE m.id}`;

/**
 * The lifecycle timeline: a member's stage at each asOf a refresh has run for (retention_run),
 * and a transition at each of those dates where it moved (from null: first classified). The
 * stage before asOf is where BUILD_SQL starts from (member_id, stage, stage_since):
 * - `rows`: the current rows, when they are the latest date's and asOf comes after it (the
 *   nightly run): no history read;
 * - `timeline`: otherwise (asOf again, or a date before the latest), the latest move dated
 *   before asOf. Parameter: asOf.
 */
const PREVIOUS = {
  rows: 'member_retention',
  timeline: `(select distinct on (member_id) member_id, to_stage as stage, at as stage_since from lifecycle_transition
    where at < ?::timestamptz order by member_id, at desc, id desc)`,
} as const;
export type Previous = keyof typeof PREVIOUS;

/** asOf's transitions after the latest date: every member whose stage moved. */
const TRANSITIONS_SQL = `
insert into lifecycle_transition (member_id, from_stage, to_stage, at)
select member_id, old_stage, stage, as_of from member_retention_next where old_stage is distinct from stage`;

/**
 * Makes the transitions recorded at one date those `${WANTED}` lists ((member_id, from_stage,
 * to_stage) for the members `${MEMBERS}` covers), changing only the difference: a second run
 * for a date records nothing. Parameters: the date twice. Returns how many it inserted (n).
 */
const RECORD_AT_SQL = `
with wanted as (\${WANTED}),
recorded as (select t.id, t.member_id, t.from_stage, t.to_stage from lifecycle_transition t where t.at = ?::timestamptz and \${MEMBERS}),
dropped as (
  delete from lifecycle_transition t using recorded r where t.id = r.id and not exists (
    select 1 from wanted w where w.member_id = r.member_id and w.from_stage is not distinct from r.from_stage and w.to_stage = r.to_stage)
),
inserted as (
  insert into lifecycle_transition (member_id, from_stage, to_stage, at)
  select w.member_id, w.from_stage, w.to_stage, ?::timestamptz from wanted w where not exists (
    select 1 from recorded r where r.member_id = w.member_id and r.from_stage is not distinct from w.from_stage and r.to_stage = w.to_stage)
  returning 1
)
select count(*)::int as n from inserted`;

/** At asOf, for every member: from the stage before it to its stage now. */
const AT_AS_OF_SQL = RECORD_AT_SQL
  .replace('${WANTED}', 'select member_id, old_stage as from_stage, stage as to_stage from member_retention_next where old_stage is distinct from stage')
  .replace('${MEMBERS}', 'true');

/**
 * At the next date after asOf, for the members classified at asOf: from their stage at asOf
 * (this run's) to their stage at that date (the latest move up to it: the timeline as it was
 * before this run; asOf's own moves are written after this). Parameters: that date three times.
 */
const AT_NEXT_SQL = RECORD_AT_SQL
  .replace('${WANTED}', `select n.member_id, n.stage as from_stage, x.stage as to_stage from member_retention_next n
    join (select distinct on (member_id) member_id, to_stage as stage from lifecycle_transition where at <= ?::timestamptz
      order by member_id, at desc, id desc) x on x.member_id = n.member_id
    where x.stage is distinct from n.stage`)
  .replace('${MEMBERS}', 'exists (select 1 from member_retention_next n where n.member_id = t.member_id)');

/**
 * Late facts (docs/retention.md, "Late facts"). The members the writing transactions queued
 * (retention_late, filled by the triggers of Migration20261227090000), one row each with the
 * earliest instant affected and the latest purchase concerned, into retention_repair; the queue
 * rows this statement sees are consumed (deleted), those committed after it stay for the next run.
 */
const TAKE_LATE_SQL = [
  'truncate retention_repair',
  `with late as (delete from retention_late returning member_id, from_at, subject_at)
   insert into retention_repair (member_id, from_at, subject_at) select member_id, min(from_at), max(subject_at) from late group by member_id`,
];

/**
 * The repair: for every member in retention_repair, its stage at each refreshed date from its
 * earliest affected one, recomputed from the facts as they are now (BUILD_SQL's stage, with the
 * current thresholds), and the moves at those dates made what they should be (only the
 * differences: deleted, inserted). One statement over (member × date), each (member, date) one
 * index probe of purchase_member_day_index (the last two distinct purchase days up to the date;
 * the first too, only where the last is within newDays), never a loop.
 *
 * Bounded: a late fact concerns one purchase day (its own, or the refunded purchase's; none for a
 * join). Once a member has two purchases on later days that nothing refunds, and the later of
 * them is reached and the earlier is more than newDays behind, the stage no longer depends on
 * anything on or before that day: the stage there is the one recorded. The member's dates stop
 * at the first refreshed date past that bound (its move, from the repaired stage before it, is
 * rewritten too). The stage before the first date is the member's latest move before it.
 * A member not classified at a date (not joined, nothing bought) has no move there; the next
 * move starts from its latest stage. `${DAY}` is a purchase's day, `${AS_OF_DAY x}` an instant's.
 */
const REPAIR_SQL = `
with s as (
  select lifecycle_new_days as new_days, lifecycle_active_days as active_days, lifecycle_at_risk_days as at_risk_days, lifecycle_dormant_days as dormant_days
  from program where id = 1
),
bounded as (
  select a.member_id, a.from_at, (select min(r.as_of) from retention_run r where r.as_of >= a.from_at and \${AS_OF_DAY r.as_of} >= u.until_day) as cut_at,
    (select t.to_stage from lifecycle_transition t where t.member_id = a.member_id and t.at < a.from_at order by t.at desc, t.id desc limit 1) as before_stage
  from retention_repair a cross join s
  cross join lateral (
    select case when count(*) = 2 then greatest(max(later.day), min(later.day) + s.new_days + 1) end as until_day
    from (select distinct \${DAY} as day from purchase pu where pu.member_id = a.member_id and pu.refunded_cents = 0
      and \${DAY} > coalesce(\${AS_OF_DAY a.subject_at}, -2147483647) order by 1 limit 2) later
  ) u
),
dates as materialized (
  select b.member_id, b.before_stage, r.as_of, \${AS_OF_DAY r.as_of} as day
  from bounded b join retention_run r on r.as_of >= b.from_at and r.as_of <= coalesce(b.cut_at, 'infinity'::timestamptz)
),
staged as (
  select d.member_id, d.before_stage, d.as_of, case
      when m.id is null then null
      when top.last_day is null then case when m.joined_at <= d.as_of then 'PROSPECT' end
      -- NEW needs the first purchase day within newDays, so the last one too: only then is the first looked up.
      when case when d.day - top.last_day <= s.new_days then d.day - (
          select \${DAY} from purchase pu where pu.member_id = d.member_id and \${DAY} <= d.day and pu.occurred_at <= d.as_of
            and ${boughtBy('<=', 'd.as_of')} order by 1 limit 1) <= s.new_days else false end then 'NEW'
      ${byRecency('d.day', 'top.last_day', 'top.prev_day')}
    end as stage
  from dates d cross join s
  left join member m on m.id = d.member_id
  cross join lateral (
    select max(x.day) as last_day, case when count(*) = 2 then min(x.day) end as prev_day
    from (select distinct \${DAY} as day from purchase pu where pu.member_id = d.member_id and \${DAY} <= d.day and pu.occurred_at <= d.as_of
      and ${boughtBy('<=', 'd.as_of')} order by 1 desc limit 2) x
  ) top
),
grouped as (select *, count(stage) over (partition by member_id order by as_of) as grp from staged),
carried as (select *, first_value(stage) over (partition by member_id, grp order by as_of) as carry from grouped),
wanted as (
  select member_id, as_of, from_stage, stage as to_stage from (
    select member_id, as_of, stage, coalesce(lag(carry) over (partition by member_id order by as_of), before_stage) as from_stage from carried
  ) x where stage is not null and from_stage is distinct from stage
),
recorded as (
  select t.id, t.member_id, t.at, t.from_stage, t.to_stage from lifecycle_transition t join dates d on t.member_id = d.member_id and t.at = d.as_of
),
dropped as (
  delete from lifecycle_transition t using recorded r where t.id = r.id and not exists (
    select 1 from wanted w where w.member_id = r.member_id and w.as_of = r.at and w.from_stage is not distinct from r.from_stage and w.to_stage = r.to_stage)
  returning 1
),
inserted as (
  insert into lifecycle_transition (member_id, from_stage, to_stage, at)
  select w.member_id, w.from_stage, w.to_stage, w.as_of from wanted w where not exists (
    select 1 from recorded r where r.member_id = w.member_id and r.at = w.as_of and r.from_stage is not distinct from w.from_stage and r.to_stage = w.to_stage)
  returning 1
)
select (select count(*) from retention_repair)::int as members, (select count(*) from dates)::int as dates,
  (select count(*) from inserted)::int as inserted, (select count(*) from dropped)::int as dropped`;

/**
 * The new rows of the repaired members: their stage and stageSince, the latest move up to the
 * rows' asOf (the timeline as repaired), where they differ.
 */
const REPAIRED_ROWS_SQL = `
update member_retention_next n set stage = x.stage, stage_since = x.at
from (
  select a.member_id, l.stage, l.at from retention_repair a join member_retention_next n2 on n2.member_id = a.member_id
  cross join lateral (select t.to_stage as stage, t.at from lifecycle_transition t where t.member_id = a.member_id and t.at <= n2.as_of
    order by t.at desc, t.id desc limit 1) l
) x
where n.member_id = x.member_id and (n.stage is distinct from x.stage or n.stage_since is distinct from x.at)`;

/**
 * Who may be writing a fact the refresh's snapshot would miss: the transactions (other than
 * ours) holding a writer's lock on purchase, refund or member. A statement-level trigger that
 * read the horizon before it moved belongs to one of them (it runs after its insert, which took
 * the lock).
 */
const WRITERS_SQL = `
select coalesce(array_agg(distinct l.virtualtransaction), '{}') as writers from pg_locks l
where l.locktype = 'relation' and l.mode = 'RowExclusiveLock' and l.granted and l.pid <> pg_backend_pid()
  and l.database = (select oid from pg_database where datname = current_database())
  and l.relation in ('purchase'::regclass, 'refund'::regclass, 'member'::regclass)`;

/** Of those, the ones still running (each holds its own virtual transaction id until it ends). */
const STILL_WRITING_SQL = `select count(*)::int as n from pg_locks where locktype = 'virtualxid' and virtualxid = any(?::text[])`;

/** The new table: member_retention's columns and NOT NULLs, and the previous stage. A run that died left its own: dropped. */
const PREPARE_SQL = [
  'drop table if exists member_retention_next',
  'create table member_retention_next (like member_retention including defaults)',
  'alter table member_retention_next add column old_stage text',
];

/**
 * What finishes the new table: its indexes, built at once on separate connections (names that
 * do not clash with the old table's yet), and its statistics.
 */
const FINISH_SQL = {
  primaryKey: 'create unique index member_retention_next_pkey on member_retention_next (member_id)',
  segmentIndex: 'create index member_retention_next_segment_index on member_retention_next (rfm_segment)',
  statistics: 'analyze member_retention_next',
} as const;
export type FinishStep = keyof typeof FINISH_SQL;
/** FINISH_SQL's steps, each for a transaction of its own, all at once. */
export const FINISH_STEPS = Object.keys(FINISH_SQL) as FinishStep[];

/** The swap, once the old table is locked: readers that come after see the new rows, all at once. */
const SWAP_SQL = [
  'alter table member_retention_next drop column old_stage',
  'drop table member_retention',
  'alter table member_retention_next add constraint member_retention_pkey primary key using index member_retention_next_pkey',
  'alter table member_retention_next rename to member_retention',
  'alter index member_retention_next_segment_index rename to member_retention_segment_index',
];

/** How long one attempt at the swap's lock waits for readers (an export, a segment count) before letting them go on. */
const SWAP_LOCK_WAIT = '1s';
const SWAP_LOCK_ATTEMPTS = 120;

export interface ChurnModelRow extends BgNbdParams {
  customers: number; logLikelihood: number; asOf: Date; ks: number | null; gini: number | null;
  method: ChurnMethod; recencyKs: number | null; recencyGini: number | null;
}
export interface RetentionRow {
  memberId: string; stage: string; recencyDays: number | null; frequency: number | null; monetaryCents: number | null;
  r: number | null; f: number | null; m: number | null; rfmSegment: string | null;
  x: number | null; tx: number | null; tDays: number | null; aliveProbability: number | null; churnRisk: number | null;
}

/** The rows of a statement, typed as its select list names them. */
async function rowsOf<T>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  return em.execute<T[]>(sql, params);
}

/** Runs statements one after the other, on the caller's EntityManager. */
async function inOrder(em: EntityManager, statements: readonly string[]): Promise<void> {
  for (const sql of statements) await em.execute(sql);
}

// ——— The refresh, in the order it runs ———

/**
 * The day of the programme's first purchase, which bounds how far back the supervised classifier
 * can be trained: from the current rows (a scan of member_retention, not of the purchases), or
 * on a first run from the purchases. Only the training window's length depends on it; what the
 * classifier learns from is always dated before the day it is applied at. Null: no purchase.
 */
export async function firstPurchaseDay(em: EntityManager, timeZone: string): Promise<number | null> {
  const [row] = await rowsOf<{ day: number | null }>(
    em,
    `select ${localDayNumberSql('coalesce((select min(first_purchase_at) from member_retention), (select min(occurred_at) from purchase))', timeZone)} as day`,
  );
  return row.day;
}

/** The parameters of the latest fit stored as of a date before `before`; undefined if none. */
export async function latestFitBefore(em: EntityManager, before: Date): Promise<BgNbdParams | undefined> {
  const [row] = await rowsOf<BgNbdParams>(em, 'select r, alpha, a, b from churn_model where as_of < ? order by as_of desc, id desc limit 1', [before]);
  return row;
}

/**
 * The number of members and the id that splits them into two halves (null without members).
 * Reads member (the members module's table), set-based: a count and one offset.
 */
export async function memberHalves(em: EntityManager): Promise<{ members: number; split: string | null }> {
  const [row] = await rowsOf<{ members: number; split: string | null }>(
    em,
    `select count(*)::int as members, (select id from member order by id offset (select count(*) / 2 from member) limit 1) as split from member`,
  );
  return row;
}

/**
 * The dates the lifecycle timeline has been refreshed for, around asOf: the latest; the one
 * the current rows show; the first after asOf.
 */
export async function timelineDates(em: EntityManager, asOf: Date): Promise<{ latest: Date | null; shown: Date | null; next: Date | null }> {
  const [row] = await rowsOf<{ latest: Date | null; shown: Date | null; next: Date | null }>(
    em,
    `select (select max(as_of) from retention_run) as latest, (select as_of from member_retention limit 1) as shown,
       (select min(as_of) from retention_run where as_of > ?) as next`,
    [asOf],
  );
  return withDates(row, ['latest', 'shown', 'next']);
}

export async function truncateFacts(em: EntityManager): Promise<void> {
  await em.execute('truncate retention_facts');
}

/** The refresh's memory for sorts and hashes (REFRESH_WORK_MEM), for the rest of the transaction `tx`. */
export async function useRefreshWorkMem(tx: EntityManager): Promise<void> {
  await tx.execute(`set local work_mem = '${REFRESH_WORK_MEM}'`);
}

/** One half's BG/NBD tuples, read back from the facts it wrote (FACTS_AND_TUPLES_SQL): TupleText's pieces and sizes. */
export interface HalfTuples {
  current: string; backtest: string; training: string; backtestTraining: string;
  currentRows: number; backtestRows: number; trainingRows: number; backtestTrainingRows: number; repeat: boolean;
}

/**
 * The dates the facts are taken at: asOf, its day, the backtest day, and 365 days before asOf;
 * the supervised classifier's training cuts, for the model applied at asOf and for the one the
 * backtest applies at the backtest day (null: no classifier; supervised.rules trainingWindow).
 * Days are programme-local day numbers in `timeZone` (the programme's), as the purchases' are.
 */
export interface FactDates {
  asOf: Date; asOfDay: number; backtestDay: number; yearAgo: Date; trainingDay: number | null; backtestTrainingDay: number | null; timeZone: string;
}

/**
 * FACTS_AND_TUPLES_SQL for one half of the members: their facts into retention_facts, and their
 * tuples back. Reads purchase and refund (the points module's tables), in one index-only pass.
 */
export async function insertFactsAndReadTuples(tx: EntityManager, half: Half, split: string | null, d: FactDates): Promise<HalfTuples> {
  // Without a classifier the cuts are never read back; any day will do for the columns.
  const trainingDay = d.trainingDay ?? d.backtestDay;
  const backtestTrainingDay = d.backtestTrainingDay ?? d.backtestDay;
  const [tuples] = await rowsOf<HalfTuples>(
    tx,
    withDay(inHalf(FACTS_AND_TUPLES_SQL, half), d.timeZone),
    [
      d.backtestDay, d.backtestDay, trainingDay, trainingDay, backtestTrainingDay, backtestTrainingDay,
      d.yearAgo, d.asOf, d.yearAgo, d.asOf, d.asOf, ...boundOf(FACTS_SQL, half, split),
      d.asOfDay, d.backtestDay, d.backtestDay,
      trainingDay, trainingDay, d.trainingDay != null && d.trainingDay !== d.backtestDay,
      backtestTrainingDay, backtestTrainingDay, d.backtestTrainingDay != null,
    ],
  );
  return tuples;
}

export async function analyzeFacts(em: EntityManager): Promise<void> {
  await em.execute('analyze retention_facts');
}

/** STATS_SQL's row: the buyers, the means (exact numerics, as text), the monetary quintile bounds. */
export interface RfmStatsRow { n: number; meanLastDay: string | null; meanFrequency: string | null; meanMonetary: string | null; bounds: (string | null)[] }

export async function rfmStats(em: EntityManager): Promise<RfmStatsRow> {
  const [stats] = await rowsOf<RfmStatsRow>(em, STATS_SQL);
  return stats;
}

/** A histogram's scores (SCORE_BY_SQL), as the two array literals BUILD_SQL joins on: values, scores. */
export interface ScoreHistogram { values: string; scores: string }

export async function scoreHistogram(em: EntityManager, column: 'last_day' | 'frequency', buyers: number): Promise<ScoreHistogram> {
  const rows = await rowsOf<{ value: number; score: number }>(em, SCORE_BY_SQL(column), [buyers]);
  return { values: pgArray(rows.map((r) => r.value)), scores: pgArray(rows.map((r) => r.score)) };
}

/** PREPARE_SQL: the new table, empty. */
export async function prepareNextTable(em: EntityManager): Promise<void> {
  await inOrder(em, PREPARE_SQL);
}

/** What BUILD_SQL scores against: the RFM statistics and histograms, and the churn scores by tuple key (array literals). */
export interface BuildInput {
  asOf: Date;
  asOfDay: number;
  stats: RfmStatsRow & { byLastDay: ScoreHistogram; byFrequency: ScoreHistogram };
  scores: { keys: string; alive: string; risk: string };
}

/**
 * BUILD_SQL for one half of the members, the stage before asOf from `previous`; the rows
 * written. Its joins are all on unsorted inputs; the planner, blind to the score arrays'
 * statistics, would sort a million wide rows for a merge join: merge joins are off for the
 * rest of `tx`. Reads member (the members module's table) and program (the program
 * module's), set-based.
 */
export async function buildNextRows(tx: EntityManager, half: Half, split: string | null, previous: Previous, input: BuildInput): Promise<number> {
  const { asOf, asOfDay, stats, scores } = input;
  await tx.execute('set local enable_mergejoin = off');
  const statistics = [...stats.bounds, stats.meanMonetary, asOf, asOfDay, stats.meanLastDay, stats.meanFrequency];
  const joined = [
    stats.byLastDay.values, stats.byLastDay.scores, stats.byFrequency.values, stats.byFrequency.scores, scores.keys, scores.alive, scores.risk, asOf,
  ];
  const bound = half === 'all' ? [] : [split];
  const [{ rows }] = await rowsOf<{ rows: number }>(
    tx,
    `with built as (${inHalf(BUILD_SQL, half).replace('${PREVIOUS}', PREVIOUS[previous])} returning 1) select count(*)::int as rows from built`,
    [...statistics, ...bound, ...(previous === 'timeline' ? [asOf] : []), ...bound, ...joined, ...bound],
  );
  return rows;
}

/** One of FINISH_STEPS, with the refresh's memory for it. */
export async function finishNextTable(tx: EntityManager, step: FinishStep): Promise<void> {
  await tx.execute(`set local maintenance_work_mem = '${REFRESH_WORK_MEM}'`);
  await tx.execute(FINISH_SQL[step]);
}

const moves = async (tx: EntityManager, sql: string, params: unknown[]) => (await rowsOf<{ n: number }>(tx, sql, params))[0].n;

/** TRANSITIONS_SQL: asOf's moves after the latest date; how many. */
export function insertTransitions(tx: EntityManager): Promise<number> {
  return moves(tx, `with moved as (${TRANSITIONS_SQL} returning 1) select count(*)::int as n from moved`, []);
}

/** AT_NEXT_SQL: the moves at `next` made to start from asOf's stages; how many it inserted. */
export function recordMovesAtNext(tx: EntityManager, next: Date): Promise<number> {
  return moves(tx, AT_NEXT_SQL, [next, next, next]);
}

/** AT_AS_OF_SQL: asOf's own moves made what they should be; how many it inserted. */
export function recordMovesAtAsOf(tx: EntityManager, asOf: Date): Promise<number> {
  return moves(tx, AT_AS_OF_SQL, [asOf, asOf]);
}

/** asOf joins the timeline's dates (retention_run). */
export async function recordRun(tx: EntityManager, asOf: Date): Promise<void> {
  await tx.execute('insert into retention_run (as_of, refreshed_at) values (?, now()) on conflict (as_of) do update set refreshed_at = now()', [asOf]);
}

/**
 * The horizon (retention_horizon): the latest asOf a refresh has started for. Moved to asOf if
 * asOf is later, in its own transaction, before the refresh reads the facts; whether it moved.
 */
export async function raiseHorizon(em: EntityManager, asOf: Date): Promise<boolean> {
  const rows = await rowsOf<{ moved: boolean }>(
    em,
    `insert into retention_horizon (id, as_of) values (1, ?) on conflict (id) do update set as_of = excluded.as_of
       where retention_horizon.as_of < excluded.as_of returning true as moved`,
    [asOf],
  );
  return rows.length > 0;
}

/** How long a refresh waits for the writes in progress when it moves the horizon (WRITERS_SQL) before giving up. */
const WRITERS_WAIT_MS = 10 * 60_000;

/**
 * Waits until every transaction that was writing a purchase, a refund or a member when the
 * horizon moved has ended (committed: the refresh's snapshot, taken after, sees its facts; or
 * rolled back). Writes that start later read the new horizon and queue what they date at or
 * before it. Polls; locks nothing, so no writer waits for the refresh. A writer open longer than
 * WRITERS_WAIT_MS fails the refresh (nothing of it is written), as a lock timeout would.
 */
export async function waitForWriters(em: EntityManager, pollMs = 20): Promise<void> {
  const [{ writers }] = await rowsOf<{ writers: string[] }>(em, WRITERS_SQL);
  if (!writers.length) return;
  const literal = pgArray(writers);
  const deadline = Date.now() + WRITERS_WAIT_MS;
  for (;;) {
    const [{ n }] = await rowsOf<{ n: number }>(em, STILL_WRITING_SQL, [literal]);
    if (n === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`retention refresh: ${n} transaction(s) writing purchases, refunds or members open for over ${WRITERS_WAIT_MS / 60_000} minutes`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** What the repair of late facts did: members repaired, (member, date) pairs recomputed, moves inserted and deleted. */
export interface LateRepair { members: number; dates: number; inserted: number; dropped: number }

/**
 * TAKE_LATE_SQL, REPAIR_SQL and REPAIRED_ROWS_SQL, in the swap's transaction `tx`, after asOf's
 * own moves and asOf joined the dates. Reads purchase, refund, member and program (the points,
 * members and program modules' tables), set-based.
 */
export async function repairLateFacts(tx: EntityManager, timeZone: string): Promise<LateRepair> {
  await inOrder(tx, TAKE_LATE_SQL);
  const sql = withDay(REPAIR_SQL, timeZone).replace(/\$\{AS_OF_DAY ([\w.]+)\}/g, (_, column: string) => localDayNumberSql(column, timeZone));
  const [repair] = await rowsOf<LateRepair>(tx, sql);
  if (repair.members) await tx.execute(REPAIRED_ROWS_SQL);
  return repair;
}

/**
 * Takes the old table for the swap, in the caller's transaction. Readers hold it for as long
 * as they read (an export of a million rows, for seconds), and a waiting exclusive lock queues
 * every reader after it; so each attempt waits at most SWAP_LOCK_WAIT, then steps back (to a
 * savepoint) and lets the queue drain before the next.
 */
export async function lockForSwap(tx: EntityManager): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await tx.execute('savepoint swap');
    try {
      await tx.execute(`set local lock_timeout = '${SWAP_LOCK_WAIT}'`);
      await tx.execute('lock table member_retention in access exclusive mode');
      await tx.execute('set local lock_timeout = 0');
      await tx.execute('release savepoint swap');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03' || attempt >= SWAP_LOCK_ATTEMPTS) throw err;
      await tx.execute('rollback to savepoint swap');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** SWAP_SQL, once lockForSwap holds the old table. */
export async function swapInNextTable(tx: EntityManager): Promise<void> {
  await inOrder(tx, SWAP_SQL);
}

/** What a churn model row says besides BG/NBD's parameters: which score churnRisk holds, the backtests, the classifier. */
export interface ChurnModelOutcome {
  method: ChurnMethod;
  backtest: ChurnBacktest | null;
  /** The classifier applied at asOf (whether or not it won), as stored for inspection. */
  classifier: unknown;
}

/**
 * The fitted model, with its backtest's scores (null without one): ks and gini are those of the
 * score churnRisk holds (`method`), besides BG/NBD's own and the naive recency ranking's.
 */
export async function insertChurnModel(em: EntityManager, asOf: Date, fit: BgNbdParams & { customers: number; logLikelihood: number }, outcome: ChurnModelOutcome): Promise<void> {
  const { method, backtest, classifier } = outcome;
  const ours = figuresOf(backtest, method);
  await em.execute(
    `insert into churn_model (as_of, r, alpha, a, b, customers, log_likelihood, ks, gini, created_at, method, recency_ks, recency_gini,
       bgnbd_ks, bgnbd_gini, supervised_ks, supervised_gini, classifier) values (?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      asOf, fit.r, fit.alpha, fit.a, fit.b, fit.customers, fit.logLikelihood, ours?.ks ?? null, ours?.gini ?? null, method,
      backtest?.recency.ks ?? null, backtest?.recency.gini ?? null, backtest?.bgnbd.ks ?? null, backtest?.bgnbd.gini ?? null,
      backtest?.supervised?.ks ?? null, backtest?.supervised?.gini ?? null, classifier == null ? null : JSON.stringify(classifier),
    ],
  );
}

// ——— Reads ———

export async function latestModel(em: EntityManager): Promise<ChurnModelRow | null> {
  const [row] = await rowsOf<ChurnModelRow>(
    em,
    `select as_of as "asOf", r, alpha, a, b, customers, log_likelihood as "logLikelihood", ks, gini, method,
       recency_ks as "recencyKs", recency_gini as "recencyGini" from churn_model order by id desc limit 1`,
  );
  return row ? withDates(row, ['asOf']) : null;
}

export function retentionRows(em: EntityManager, ids: readonly string[]): Promise<RetentionRow[]> {
  return rowsOf<RetentionRow>(
    em,
    `select member_id as "memberId", stage, recency_days as "recencyDays", frequency, monetary_cents::float8 as "monetaryCents",
         r, f, m, rfm_segment as "rfmSegment", x, tx, t_days as "tDays", alive_probability as "aliveProbability", churn_risk as "churnRisk"
       from member_retention where member_id in (?)`,
    [ids],
  );
}

/**
 * The ids of members with churn risk of at least minRisk, most valuable first (365-day net spend × P(alive)).
 * A member without spend in the last 365 days (a lapsed buyer, value 0) is a candidate too, ranked
 * after those with spend. Erased members are left out (cross-module read of the members module's
 * `member`, by primary key).
 */
export async function winBackCandidateIds(em: EntityManager, first: number, minRisk: number, after: WinBackKey | null = null): Promise<string[]> {
  const value = WIN_BACK_VALUE;
  const rows = await rowsOf<{ id: string }>(
    em,
    `select r.member_id as id from member_retention r
       where r.churn_risk >= ? and not exists (select 1 from member m where m.id = r.member_id and m.erased_at is not null)
         ${after ? `and (${value} < ? or (${value} = ? and r.member_id > ?))` : ''}
       order by ${value} desc, r.member_id limit ?`,
    after ? [minRisk, after.value, after.value, after.memberId, first] : [minRisk, first],
  );
  return rows.map((r) => r.id);
}

/** A member's win-back value (365-day net spend in cents × P(alive)), on `member_retention r`: the ranking and its keyset compute it alike. */
const WIN_BACK_VALUE = 'r.monetary_cents * r.alive_probability';

/** A place in the win-back ranking: a member's value (365-day net spend in cents × P(alive)) and its id. */
export interface WinBackKey { value: number; memberId: string }

/** Where `memberId` stands in the win-back ranking, or null when it has no value to rank by (no row, or no fitted model). */
export async function winBackKey(em: EntityManager, memberId: string): Promise<WinBackKey | null> {
  const [row] = await rowsOf<{ value: number | null }>(
    em, `select ${WIN_BACK_VALUE} as value from member_retention r where r.member_id = ?`, [memberId],
  );
  return row?.value == null ? null : { value: row.value, memberId };
}

export interface TransitionCount { from: string | null; to: string; count: number }

/** Moves recorded in [from, to), counted by (from stage, to stage). */
export async function transitionCounts(em: EntityManager, from: Date, to: Date): Promise<TransitionCount[]> {
  const rows = await rowsOf<{ from: string | null; to: string; count: string }>(
    em,
    `select from_stage as "from", to_stage as "to", count(*) as count from lifecycle_transition
       where at >= ? and at < ? group by 1, 2 order by 1 nulls first, 2`,
    [from, to],
  );
  return rows.map((r) => ({ ...r, count: safeInteger(r.count) }));
}

/**
 * The programme's picture: members (an erased member is no longer one: every list and segment
 * has dropped it), points liability (sum of balances), members per tier (every
 * tier, in rank order) and per lifecycle stage (every stage, in lifecycle order; PROSPECT without a
 * row), in one statement, so one
 * snapshot: `members` = Σ per tier = Σ per stage in every answer, while members register or change
 * tier (as three statements of their own they did not add up under writes). Reads member (the
 * members module's table), point_account (the points module's) and tier (the tiers module's)
 * beside member_retention. Counts and the liability are bigint, read exactly (as text in the JSON).
 */
export async function programPicture(em: EntityManager): Promise<{
  members: number; liability: number; byTier: { tierId: string; count: number }[]; byStage: { stage: string; count: number }[];
}> {
  const [row] = await rowsOf<{ members: string; liability: string; byTier: { tierId: string; count: string }[]; byStage: { stage: string; count: string }[] }>(
    em,
    `select (select count(*) from member where erased_at is null)::text as members,
       (select coalesce(sum(balance), 0) from point_account)::bigint::text as liability,
       (select coalesce(json_agg(json_build_object('tierId', x.id, 'count', x.n::text) order by x.rank), '[]')
          from (select t.id, t.rank, count(m.id) as n from tier t left join member m on m.tier_id = t.id and m.erased_at is null group by t.id, t.rank) x) as "byTier",
       (select json_agg(json_build_object('stage', s.stage, 'count', coalesce(x.n, 0)::text) order by s.ord)
          from unnest(?::text[]) with ordinality as s(stage, ord)
          left join (select coalesce(r.stage, 'PROSPECT') as stage, count(*) as n from member m left join member_retention r on r.member_id = m.id
            where m.erased_at is null group by 1) x
            on x.stage = s.stage) as "byStage"`,
    [pgArray(LIFECYCLE_STAGES)],
  );
  return {
    members: safeInteger(row.members), liability: safeInteger(row.liability),
    byTier: row.byTier.map((t) => ({ tierId: t.tierId, count: safeInteger(t.count) })),
    byStage: row.byStage.map((t) => ({ stage: t.stage, count: safeInteger(t.count) })),
  };
}

/**
 * Members and their 365-day net spend per RFM cell (members without a score are in none; an
 * erased member in none, as in programPicture). Reads member_retention and member, one aggregate.
 */
export async function membersByRfmSegment(em: EntityManager): Promise<{ segment: string; count: number; monetaryCents: number }[]> {
  const rows = await rowsOf<{ segment: string; count: string; monetaryCents: string }>(
    em,
    `select r.rfm_segment as segment, count(*) as count, coalesce(sum(r.monetary_cents), 0)::bigint as "monetaryCents"
       from member_retention r join member m on m.id = r.member_id and m.erased_at is null
       where r.rfm_segment is not null group by 1 order by 1`,
  );
  return rows.map((r) => ({ segment: r.segment, count: safeInteger(r.count), monetaryCents: safeInteger(r.monetaryCents) }));
}

/**
 * Over every member at `now`: points earned but not yet spendable (pending), and spendable points
 * expiring within `withinDays` days (after now, at most now + withinDays). Cross-module read of
 * point_lot and point_account (the points module's tables), one aggregate. A lot counts while it
 * is live (its expiry after the account's expiry watermark): points.repository's LIVE_LOT,
 * restated here; expiring less what the members' debts will take of those lots (debtTakesExpiring,
 * as each member's expiringPoints); test/e2e/console-api.test.ts holds each total equal to the sum of the members'
 * pendingPoints and expiringPoints, which read through the points module.
 */
export async function pointsOutlook(em: EntityManager, now: Date, withinDays: number): Promise<{ pending: number; expiring: number }> {
  const [row] = await rowsOf<{ pending: string; expiring: string }>(
    em,
    `select o.pending, (o.expiring - coalesce((
         select sum(${debtTakesExpiring('dm.member_id', 'n.now', 'n.days')})
         from (select distinct d.member_id from point_lot d where d.remaining < 0) dm cross join (select ?::timestamptz as now, ?::int as days) n
       ), 0))::bigint as expiring
     from (
       select coalesce(sum(l.remaining) filter (where l.activates_at > ?), 0)::bigint as pending,
         coalesce(sum(l.remaining) filter (where l.remaining > 0 and l.activates_at <= ? and l.expires_at > ?
           and l.expires_at <= ?::timestamptz + make_interval(days => ?)), 0)::bigint as expiring
       from point_lot l join point_account a on a.member_id = l.member_id
       where l.remaining <> 0 and coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity')
     ) o`,
    [now, withinDays, now, now, now, now, withinDays],
  );
  return { pending: safeInteger(row.pending), expiring: safeInteger(row.expiring) };
}

export interface PointsFlowRow {
  period: string; earned: number; redeemed: number; expired: number; reversed: number;
  /** Admins' debits (an ADJUST below 0 without a reference), balances forfeited by erasure, opening balances an import brought in. */
  debited: number; forfeited: number; opening: number;
}

/**
 * The programme's time zone, read by a report in its own statement (an init plan, evaluated
 * once): a report by month costs no statement more for it. Reads program (the program module's table).
 */
const PROGRAM_ZONE = '(select time_zone from program where id = 1)';

/**
 * Points earned, redeemed, expired and reversed per month of [from, to), months in the programme's
 * time zone. Earned: every credit the programme gave in the month, purchases' (EARN), campaigns'
 * (BONUS), referrals', check-ins' and positive adjustments (birthday gifts among them), and a
 * purchase's rate corrections either way (ADJUST with the order as reference: the points it earns
 * again at the tier held at its instant, PointsService.rerate); not an import's OPENING_BALANCE
 * (points another programme gave: `opening`), nor an admin's debit (a negative ADJUST without a
 * reference: `debited`), nor what an erasure forfeited (`forfeited`). Reads point_transaction (the points
 * module's table), one aggregate; sum() over int is bigint: a month's flow may pass 2^31.
 */
export async function pointsFlow(em: EntityManager, from: Date, to: Date): Promise<PointsFlowRow[]> {
  // Every ledger row is in exactly one column (an admin's debit: an ADJUST below 0 without a
  // reference; a re-rating's correction has its order as reference and is part of earned), so
  // that earned + opening − redeemed − expired − reversed − debited − forfeited is what the
  // liability moved by in the period.
  const rows = await rowsOf<{ period: string; earned: string; redeemed: string; expired: string; reversed: string; debited: string; forfeited: string; opening: string }>(
    em,
    `select to_char(date_trunc('month', occurred_at at time zone ${PROGRAM_ZONE}), 'YYYY-MM') as period,
         coalesce(sum(amount) filter (where type in ('EARN', 'BONUS', 'REFERRAL', 'CHECK_IN')
           or (type = 'ADJUST' and (amount > 0 or reference is not null))), 0) as earned,
         coalesce(-sum(amount) filter (where type = 'REDEEM'), 0) + coalesce(-sum(amount) filter (where type = 'REDEMPTION_CANCEL'), 0) as redeemed,
         coalesce(-sum(amount) filter (where type = 'EXPIRE'), 0) as expired,
         coalesce(-sum(amount) filter (where type = 'REFUND_REVERSAL'), 0) as reversed,
         coalesce(-sum(amount) filter (where type = 'ADJUST' and amount < 0 and reference is null), 0) as debited,
         coalesce(-sum(amount) filter (where type = 'ERASURE'), 0) as forfeited,
         coalesce(sum(amount) filter (where type = 'OPENING_BALANCE'), 0) as opening
       from point_transaction where occurred_at >= ? and occurred_at < ? group by 1 order by 1`,
    [from, to],
  );
  return rows.map((r) => ({
    period: r.period, earned: safeInteger(r.earned), redeemed: safeInteger(r.redeemed), expired: safeInteger(r.expired), reversed: safeInteger(r.reversed),
    debited: safeInteger(r.debited), forfeited: safeInteger(r.forfeited), opening: safeInteger(r.opening),
  }));
}

export interface GrowthRow { period: string; active: number; new: number; retained: number; wonBack: number; churned: number }

/**
 * Growth per month from `from`'s month to the month of the last instant before `to`, months in the programme's time zone
 * (RetentionService.growth says what each count is). Reads purchase and refund (the points
 * module's tables), set-based.
 */
export async function growth(em: EntityManager, from: Date, to: Date): Promise<GrowthRow[]> {
  const rows = await rowsOf<{ period: string; active: string; new: string; retained: string; wonBack: string; churned: string }>(
    em,
    `with zone as (select ${PROGRAM_ZONE} as tz),
       act as (select distinct member_id, date_trunc('month', occurred_at at time zone (select tz from zone)) as mo from purchase pu
         where pu.occurred_at < ?::timestamptz and ${boughtBy('<')}),
       firsts as (select member_id, min(mo) as first_mo from act group by member_id),
       months as (select generate_series(date_trunc('month', ?::timestamptz at time zone (select tz from zone)),
         date_trunc('month', (?::timestamptz - interval '1 microsecond') at time zone (select tz from zone)), interval '1 month') as mo)
       select to_char(ms.mo, 'YYYY-MM') as period,
         (select count(*) from act a where a.mo = ms.mo) as active,
         (select count(*) from firsts f where f.first_mo = ms.mo) as new,
         (select count(*) from act a join act b on b.member_id = a.member_id and b.mo = ms.mo - interval '1 month' where a.mo = ms.mo) as retained,
         (select count(*) from act a join firsts f on f.member_id = a.member_id where a.mo = ms.mo and f.first_mo < ms.mo
            and not exists (select 1 from act b where b.member_id = a.member_id and b.mo = ms.mo - interval '1 month')) as "wonBack",
         (select count(*) from act b where b.mo = ms.mo - interval '1 month'
            and not exists (select 1 from act a where a.member_id = b.member_id and a.mo = ms.mo)) as churned
       from months ms order by 1`,
    [to, to, from, to],
  );
  return rows.map((r) => ({
    period: r.period, active: safeInteger(r.active), new: safeInteger(r.new), retained: safeInteger(r.retained),
    wonBack: safeInteger(r.wonBack), churned: safeInteger(r.churned),
  }));
}
