import { graphql } from '../../gql';

/**
 * The Jobs page's operations: request 1 (JobsOverview) the programme's time zone and each daily
 * job's last scheduled run (one jobRuns per job, aliased: jobs.ts names the aliases); request 2
 * (JobRuns) the latest runs, of one job or all, newest first. A run as of a time is the job's
 * own mutation.
 */
export const JobRunFields = graphql(`
  fragment JobRunRow on JobRun {
    id
    job
    slot
    startedAt
    finishedAt
    processed
    changed
    failed
  }
`);

export const JobsOverviewQuery = graphql(`
  query JobsOverview {
    program {
      timeZone
    }
    pointsExpire: jobRuns(job: "points.expire", first: 1) {
      ...JobRunRow
    }
    tiersReview: jobRuns(job: "tiers.review", first: 1) {
      ...JobRunRow
    }
    tiersNotices: jobRuns(job: "tiers.notices", first: 1) {
      ...JobRunRow
    }
    benefitsBirthday: jobRuns(job: "benefits.birthday", first: 1) {
      ...JobRunRow
    }
    retentionRefresh: jobRuns(job: "retention.refresh", first: 1) {
      ...JobRunRow
    }
    campaignsReevaluate: jobRuns(job: "campaigns.reevaluate", first: 1) {
      ...JobRunRow
    }
  }
`);

export const JobRunsQuery = graphql(`
  query JobRuns($job: String, $first: Int!) {
    jobRuns(job: $job, first: $first) {
      ...JobRunRow
    }
  }
`);

export const RunExpirePointsMutation = graphql(`
  mutation RunExpirePoints($asOf: DateTime!) {
    expirePoints(asOf: $asOf) {
      processed
      changed
    }
  }
`);

export const RunTierReviewMutation = graphql(`
  mutation RunTierReview($asOf: DateTime!) {
    runTierReview(asOf: $asOf) {
      processed
      changed
    }
  }
`);

export const RunTierNoticesMutation = graphql(`
  mutation RunTierNotices($asOf: DateTime!) {
    sendTierNotices(asOf: $asOf) {
      processed
      changed
    }
  }
`);

export const RunBirthdayGiftsMutation = graphql(`
  mutation RunBirthdayGifts($asOf: DateTime!) {
    grantBirthdayGifts(asOf: $asOf) {
      processed
      changed
    }
  }
`);

export const RunRetentionRefreshMutation = graphql(`
  mutation RunRetentionRefresh($asOf: DateTime!) {
    refreshRetention(asOf: $asOf) {
      processed
      changed
    }
  }
`);

export const RunCampaignReevaluationMutation = graphql(`
  mutation RunCampaignReevaluation($asOf: DateTime!) {
    reevaluateCampaigns(asOf: $asOf) {
      processed
      changed
    }
  }
`);
