import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../common/errors';
import { isUuid, memberExists } from '../members/members.service';
import { feedPage, type FeedPosition, type FeedRow } from './tier-feed.repository';

/**
 * The tier-change feed: every change in commit order, paged by position (tier-feed.repository.ts
 * says why a position handed out is never overtaken). Reads only; one statement a page.
 */
export class TierFeed {
  constructor(private readonly em: EntityManager) {}

  /** `first` changes after `after`, one member's or (memberId null) every member's; hasNextPage: more are there now. */
  async page(q: { memberId: string | null; after: FeedPosition | null; first: number }): Promise<{ rows: FeedRow[]; hasNextPage: boolean }> {
    if (q.memberId != null && !isUuid(q.memberId)) throw notFound('Member', q.memberId);
    const rows = await feedPage(this.em, { memberId: q.memberId, after: q.after, limit: q.first + 1 });
    // Only an empty page asks whether the member exists: a member with changes does.
    if (q.memberId != null && rows.length === 0 && !(await memberExists(this.em, q.memberId))) throw notFound('Member', q.memberId);
    return { rows: rows.slice(0, q.first), hasNextPage: rows.length > q.first };
  }
}
