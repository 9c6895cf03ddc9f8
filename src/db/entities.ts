import { AuditEntry } from '../modules/audit/audit-entry.entity';
import { Member } from '../modules/members/member.entity';
import { ConfigVersion, Program } from '../modules/program/program.entity';
import { Tier, TierMemberDelta } from '../modules/tiers/tier.entity';
import { Benefit, BenefitVersion, BirthdayGrant } from '../modules/benefits/benefit.entities';
import { Redemption, Reward } from '../modules/rewards/reward.entities';
import { MemberTag, Tag } from '../modules/tags/tag.entities';
import { ChurnModelFit, LifecycleTransition, MemberRetention, RetentionRun } from '../modules/retention/retention.entities';
import { SegmentDef } from '../modules/segments/segment.entity';
import { TierChangeRecord, TierNotice } from '../modules/tiers/tier-change.entities';
import { OutboxEvent } from '../events/outbox.entity';
import { JobRun } from '../jobs/job-run.entity';
import { Campaign, CampaignAward, CampaignBudget, CampaignMember } from '../modules/campaigns/campaign.entities';
import { Referral } from '../modules/referrals/referral.entity';
import { CheckIn } from '../modules/check-in/check-in.entity';
import { ImportErasedKey, ImportErrorRow, ImportJob } from '../modules/imports/import.entities';
import { WebhookDelivery, WebhookEndpoint, WebhookEvent } from '../modules/webhooks/webhook.entities';
import {
  Activity, ActivityRule, PointAccount, PointAllocation, PointExpiry, PointLot, PointTransaction, Purchase, QualifyingEntry, Refund,
} from '../modules/points/points.entities';

/** Every entity the ORM knows; each module adds its own here. */
export const entities = [
  Program, ConfigVersion, Tier, TierMemberDelta, Member, AuditEntry,
  PointAccount, PointExpiry, PointTransaction, PointLot, PointAllocation, QualifyingEntry, Purchase, Refund, ActivityRule, Activity,
  TierChangeRecord, TierNotice, OutboxEvent, JobRun,
  Benefit, BenefitVersion, BirthdayGrant, Reward, Redemption, Tag, MemberTag,
  MemberRetention, LifecycleTransition, RetentionRun, ChurnModelFit, SegmentDef,
  WebhookEndpoint, WebhookEvent, WebhookDelivery,
  ImportJob, ImportErrorRow, ImportErasedKey,
  Campaign, CampaignMember, CampaignAward, CampaignBudget,
  Referral, CheckIn,
];
