import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique, type Ref } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Tier } from '../tiers/tier.entity';

// No index on tier_id or tier_expires_at, and half-empty pages (fillfactor 50, set in the
// migration): a renewal or downgrade then rewrites the row in place (a HOT update, no index
// entry), which is what makes a review of a million members cheap. docs/decisions.md, "Tiers".
// searchMembers' indexes (members.repository.ts; member_search_fold and member_phone_key are SQL
// functions, migration member_search). None of their columns is written by the review, so its
// updates stay HOT.
@Entity({ tableName: 'member' })
@Index({ name: 'member_email_search_index', expression: 'create index "member_email_search_index" on "member" (member_search_fold("email"))' })
@Index({ name: 'member_phone_search_index', expression: 'create index "member_phone_search_index" on "member" (member_phone_key("phone"))' })
@Index({
  name: 'member_name_search_index',
  expression: 'create index "member_name_search_index" on "member" ((member_search_fold("display_name") collate "C"), "seq") include ("display_name")',
})
export class Member {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Insertion order, for stable keyset pagination; filled by the database. */
  @Property({ type: 'bigint', autoincrement: true, unique: 'member_seq_unique' })
  seq?: string;

  @Property({ type: 'text', nullable: true })
  @Unique()
  externalId: string | null = null;

  @Property({ type: 'text', nullable: true })
  displayName: string | null = null;

  @Property({ type: 'text', nullable: true })
  email: string | null = null;

  @Property({ type: 'text', nullable: true })
  phone: string | null = null;

  /** YYYY-MM-DD; a date has no time zone. */
  @Property({ type: 'date', nullable: true })
  birthday: string | null = null;

  @Property({ type: 'text', nullable: true })
  gender: string | null = null;

  @Property({ type: 'text', nullable: true })
  region: string | null = null;

  @Property({ type: 'text', nullable: true })
  channel: string | null = null;

  @Property({ type: 'timestamptz' })
  joinedAt: Date = new Date();

  // No foreign key (as for every other reference in the schema): tiers are never deleted, and
  // the key's check locked the tier row (FOR KEY SHARE) for every member whose tier changed,
  // which concurrent review batches and upgrades turned into multixacts (~25% of a review at
  // 1M members; see the review_passes migration).
  @ManyToOne(() => Tier, { ref: true, createForeignKeyConstraint: false })
  tier!: Ref<Tier>;

  @Property({ type: 'timestamptz' })
  tierSince: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  tierExpiresAt: Date | null = null;

  // The window counters, kept by every write of qualifying points under the member's lock (see
  // TierEngine): the qualifying points in the window that ends at tierExpiresAt, counted with a
  // window of windowPointsMonths (null: not counted), those dated after tierExpiresAt, and the
  // latest date of any. Not part of the API.
  @Property({ type: 'int', default: 0 })
  windowPoints: number = 0;

  @Property({ type: 'int', default: 0 })
  pointsAfterExpiry: number = 0;

  @Property({ type: 'smallint', nullable: true })
  windowPointsMonths: number | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastQualifyingAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  /**
   * What its registration asked for (`registrationDigest`, members.rules.ts): a retried
   * registerMember is matched against it. Null for members registered before it was kept, or
   * made by an import, and after an erasure. Not part of the API.
   */
  @Property({ type: 'text', nullable: true })
  registrationDigest: string | null = null;

  /** When the member's personal data was erased (eraseMember): its personal fields are null from then on. */
  @Property({ type: 'timestamptz', nullable: true })
  erasedAt: Date | null = null;
}

/**
 * A member as the API shows it: what a Member entity has, and what the member screen reads
 * without the ORM (members/member-screen.service.ts), its tier by id.
 */
export type MemberView = Pick<Member, 'id' | 'seq' | 'externalId' | 'displayName' | 'email' | 'phone' | 'birthday' | 'gender' | 'region' | 'channel'
  | 'joinedAt' | 'tierSince' | 'tierExpiresAt' | 'erasedAt'> & { tier: { id: string } };

/** The member's personal fields: what an erasure (eraseMember) sets to null. */
export const PERSONAL_FIELDS = ['externalId', 'displayName', 'email', 'phone', 'birthday', 'gender', 'region', 'channel'] as const;
