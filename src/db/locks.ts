import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from './array-literal';

/**
 * The row locks of the points ledger and the rewards catalogue, in one place: every writer
 * of those tables takes its locks through these functions, and always in this order:
 *
 *   1. the member's point account row (`point_account`), then
 *   2. the member's row (`member`, FOR NO KEY UPDATE: it only keeps the tier review away;
 *      1 and 2 are one statement, `lockAccount`), then
 *   3. a redemption row (`redemption`), then
 *   4. a reward row (`reward`).
 *
 * Several accounts at once are locked in member-id order (`lockAccounts`). A transaction
 * may skip steps (useCoupon locks only a redemption, a catalogue edit only a reward) but never
 * goes back to an earlier one. Why: two transactions that take their locks in one global order
 * can never each hold a row the other waits for, so none of them deadlocks (the retry in
 * db/transaction.ts is for the rare remaining case, not for these paths). A redemption takes
 * its unit of stock last, by a conditional UPDATE of the reward row (rewards.repository.ts
 * `takeStock`), which is step 4 in the same order; so does a cancellation's restocking, and so
does a campaign's free reward (campaign_effects, migration campaign_reward_stock, in the
event's transaction, the member's account held), which then takes the campaign's budget slots
(`campaign_budget`, after step 4: no other path holds a slot and then waits for a reward); a
cancelled campaign coupon gives its cost back to a slot the same way, after step 4.
 *
 * The tier review updates member rows (step 2) and never takes an account row: a review
 * waiting for a member a write holds waits for a transaction that needs nothing the review
 * holds. An admin's tier override (tier-engine.service.ts `setMemberTier`) takes steps 1 and 2
 * through `lockAccount` like a points write.
 *
 * Every other lock the server takes is on one table of one module, taken alone or before any
 * step above, so none can close a cycle with this order, but one: the window recount (below)
 * holds `qualifying_entry` and then updates member rows, while a qualifying write holds its
 * member row (step 2) and then inserts into `qualifying_entry`. PostgreSQL breaks such a cycle
 * by aborting one side, and both run in transactions that retry on a deadlock (transaction.ts);
 * the recount is an admin's one-off for data loaded around the app. The other locks stay in their owners' repositories
 * (each returns its module's typed row), listed here so that this file names every lock:
 *   - `member` row FOR UPDATE: members.repository.ts `lockMember` (a profile update; holds no
 *     account, so a points write waiting at step 2 waits for a transaction that waits for nothing;
 *     an erasure takes it after steps 1 and 2, before steps 3 and 4: data-rights.service.ts);
 *   - `member` row FOR KEY SHARE: members.repository.ts `keyShareLiveMember` (tagging, through
 *     members.service.ts `holdLiveMember`, so that an erasure,
 *     FOR UPDATE, and a tag of the same member come one after the other; it does not wait for
 *     points writes, FOR NO KEY UPDATE);
 *   - `program` row FOR UPDATE: program.repository.ts `lockProgram` (settings changes);
 *   - `tier` table SHARE ROW EXCLUSIVE: tiers.repository.ts `lockLadder` (ladder changes); the
 *     window recount (tier-review.repository.ts) locks `qualifying_entry` in SHARE mode, holding
 *     qualifying writes off while it counts;
 *   - `benefit` row: benefits.repository.ts `lockBenefit`; `segment` row: segments.repository.ts
 *     `lockSegment` (after a transaction advisory lock on the name); `activity_rule` row:
 *     `lockActivityRule` below (after a transaction advisory lock on the kind: points.repository.ts);
 *   - a reward's upsert or patch (rewards.repository.ts `lockReward`) takes a transaction advisory
 *     lock on the code before step 4 (it holds no account: nothing waits on it in the order);
 *   - tag definitions: tags.repository.ts `lockTagDefinitions` (a transaction advisory lock), then
 *     the `tag` row (`lockTag`), always in that order; a member's tagging holds the tag row `for
 *     share` (`tagByCode`) and takes neither lock after it;
 *   - `member_retention` ACCESS EXCLUSIVE for the refresh's swap: retention.repository.ts
 *     `lockForSwap`, waiting at most a second at a time so that readers are not queued behind it;
 *   - a campaign's budget gate (migration campaign_budget_gate): a transaction advisory lock per
 *     campaign, SHARED by each award (campaign_effects, before it reads the campaign; the event's
 *     account held) and by what a refund or a cancelled coupon gives back to the budget
 *     (campaign_budget_return), EXCLUSIVE by an upsert that changes the budget
 *     (campaigns.repository.ts `gateBudgetEdit`), taken first, before the campaign's row, which
 *     an award ending its campaign (BUDGET_SPENT) updates while holding the gate;
 *   - a budget slot's lock (migration budget_slot_locks): a transaction advisory lock per
 *     (campaign, slot), which a take tries without waiting (campaign_budget_take_free: a slot held
 *     is passed over) and a return waits for (campaign_budget_return), each before the slot's row;
 *     a return waits only for takes and returns of that slot, as it waited for the row before, so
 *     it adds no wait the row lock did not already make;
 *   - session advisory locks: migrations (database.ts) and one retention refresh at a time
 *     (transaction.ts `withAdvisoryLock`);
 *   - referrals (issue 25): a purchase completing its member's referral, or a refund reversing
 *     it, holds the referee's account (steps 1 and 2), then locks the `referral` row and the
 *     referrer's account and member rows (migration referral_completion `referral_complete`,
 *     referrals.repository.ts `lockCompletedReferral`, then `lockAccount`). Two accounts, not in id
 *     order: the referrer registered before its referee, so referral locks never close a cycle
 *     among themselves; one with `lockAccounts` (the expiry run's id order) is possible and is
 *     retried as a deadlock.
 */

/** The account row as a write holding it sees it. */
export interface LockedAccount {
  balance: number;
  lifetimeEarned: number;
}

/**
 * Step 1 and 2: locks the member's account row and member row; null when there is no such
 * member, or it was erased (eraseMember: every write for it is then NOT_FOUND; a write that
 * waited for the erasure re-reads the member row once it has the lock and finds nobody). Every points write for one member passes through here first. The member row is what
 * a tier review locks (it reviews in the member table's order): a write that may add
 * qualifying points, or earn at the member's tier, never interleaves with the review of that
 * member. Account first, then member, always.
 */
export async function lockAccount(tx: EntityManager, memberId: string): Promise<LockedAccount | null> {
  const [row] = await tx.execute<LockedAccount[]>(
    `select a.balance, a.lifetime_earned as "lifetimeEarned" from point_account a join member m on m.id = a.member_id
     where a.member_id = ? and m.erased_at is null for update of a for no key update of m`,
    [memberId],
  );
  return row ?? null;
}

/** Step 1 for a set of members (the expiry run's second pass): their account rows only, in member-id order. */
export async function lockAccounts(tx: EntityManager, memberIds: string[]): Promise<void> {
  await tx.execute('select 1 from point_account where member_id = any(?::uuid[]) order by member_id for update', [pgArray(memberIds)]);
}

/*
 * The redemption and reward locks return the row as the caller's select list (`columns`, the
 * rewards repository's) names it; rewards.repository.ts maps it to its typed row. This file
 * imports no module: modules call it, never the other way round.
 */

/** Step 3: a redemption by id (a cancellation, after its member's account). */
export async function lockRedemption<T>(tx: EntityManager, id: string, columns: string): Promise<T | null> {
  const [row] = await tx.execute<T[]>(`select ${columns} from redemption where id = ? for update`, [id]);
  return row ?? null;
}

/**
 * Step 3: a redemption by its coupon's normalised code (a use at a till): a use and a cancel
 * of one coupon are decided one after the other, each on what the other left.
 */
export async function lockRedemptionByCouponKey<T>(tx: EntityManager, couponKey: string, columns: string): Promise<T | null> {
  // An erased member's coupon is no coupon to a till: not found (the member row is read, not locked).
  const [row] = await tx.execute<T[]>(`select ${columns} from redemption
    where coupon_key = ? and exists (select 1 from member m where m.id = redemption.member_id and m.erased_at is null) for update of redemption`, [couponKey]);
  return row ?? null;
}

/** Step 4: a reward by code, for the rest of the transaction (a patch, an upsert). */
export async function lockReward<T>(tx: EntityManager, code: string, columns: string): Promise<T | null> {
  const [row] = await tx.execute<T[]>(`select ${columns} from reward where code = ? for update`, [code]);
  return row ?? null;
}

/** Step 4: a reward by id (a cancellation, after the redemption). */
export async function lockRewardById(tx: EntityManager, id: string): Promise<void> {
  await tx.execute('select 1 from reward where id = ? for update', [id]);
}

/**
 * An activity rule by kind, while an upsert reads what it was and writes it (no other lock is
 * taken in that transaction): `columns` as the repository reads a rule, so that the audit
 * entry's `before` names its fields as `after` does.
 */
export async function lockActivityRule<T>(tx: EntityManager, kind: string, columns: string): Promise<T | null> {
  const [row] = await tx.execute<T[]>(`select ${columns} from activity_rule where kind = ? for update`, [kind]);
  return row ?? null;
}
