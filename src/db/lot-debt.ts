/**
 * What a member's debt (its negative lots: a refund of spent points in a programme that allows
 * a negative balance) will take of its lots expiring in (now, now + days], as SQL: the points
 * module's batch read (points.repository `expiring`) and the member screen
 * (member-screen.repository) both subtract it from the points they call expiring, so that a
 * member who owes points is not told that points repaying the debt are about to expire.
 *
 * A debt is repaid lazily, by the next write that uses the member's lots (settleDebtPlan in
 * points.rules.ts); until then the lots hold their points and the debt lot its negative
 * remainder, and the balance (their sum) is right already. This reads the repayment as that
 * plan would make it at `now`: the debts, summed, from the lots spendable by then in the order
 * they became so (activation, then id), a lot only if it had not expired when it would have
 * repaid (here: at its activation or at the oldest debt's start, if later). A member without a
 * debt costs one probe of the open-lots index (the subquery runs only for one with a debt).
 *
 * `member`, `now` and `days` are SQL expressions of the caller's statement (a column, a
 * parameter's placeholder used once each: `now` and `member` appear several times, so pass
 * columns, not `?`).
 */
export function debtTakesExpiring(member: string, now: string, days: string): string {
  const live = (l: string) => `coalesce(${l}.expires_at, 'infinity') > coalesce((select da.expired_through from point_account da where da.member_id = ${member}), '-infinity')`;
  return `case when exists (select 1 from point_lot dl where dl.member_id = ${member} and dl.remaining < 0 and ${live('dl')}) then (
    select coalesce(sum(greatest(0, least(x.remaining, x.owed - x.before)))
      filter (where x.expires_at > ${now} and x.expires_at <= ${now} + make_interval(days => ${days})), 0)::int
    from (
      select dl.remaining, dl.expires_at, d.owed,
        coalesce(sum(dl.remaining) over (order by dl.activates_at, dl.id rows between unbounded preceding and 1 preceding), 0) as before
      from (select -sum(o.remaining) as owed, min(o.earned_at) as since from point_lot o
            where o.member_id = ${member} and o.remaining < 0 and ${live('o')}) d
      join point_lot dl on dl.member_id = ${member} and dl.remaining > 0 and dl.activates_at <= ${now} and ${live('dl')}
        and (dl.expires_at is null or dl.expires_at > greatest(dl.activates_at, d.since))
    ) x
  ) else 0 end`;
}
