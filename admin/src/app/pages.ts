import { lazy, type ComponentType } from 'react';
import type { MessageKey } from '../i18n';

/**
 * The console's pages, in navigation order. Each is a lazy chunk (React.lazy): the initial
 * JavaScript is the shell, sign-in and this table, and a page's code (and ECharts, for those
 * that draw) loads when it is opened. To add a page, see admin/README.md: one entry here, its
 * labels in src/i18n/en.ts and zh-CN.ts, its folder under src/pages/.
 */
export interface PageParams {
  params: Record<string, string>;
}

export interface ConsolePage {
  /** Inside /admin: `/members`, `/members/:id`. */
  path: string;
  /** Its entry in the navigation; none for pages reached from another (a member's profile). */
  nav?: MessageKey;
  /** The navigation entry that is current on this page (a profile belongs to Members). */
  section?: string;
  component: ComponentType<PageParams>;
}

export const PAGES: ConsolePage[] = [
  { path: '/dashboard', nav: 'nav.dashboard', component: lazy(() => import('../pages/dashboard/DashboardPage')) },
  { path: '/members', nav: 'nav.members', component: lazy(() => import('../pages/members/MembersPage')) },
  { path: '/members/:id', section: '/members', component: lazy(() => import('../pages/members/MemberProfilePage')) },
  { path: '/tiers', nav: 'nav.tiers', component: lazy(() => import('../pages/tiers/TiersPage')) },
  { path: '/benefits', nav: 'nav.benefits', component: lazy(() => import('../pages/benefits/BenefitsPage')) },
  { path: '/benefits/new', section: '/benefits', component: lazy(() => import('../pages/benefits/NewBenefitPage')) },
  { path: '/benefits/:code', section: '/benefits', component: lazy(() => import('../pages/benefits/BenefitPage')) },
  { path: '/rewards', nav: 'nav.rewards', component: lazy(() => import('../pages/rewards/RewardsPage')) },
  { path: '/segments', nav: 'nav.segments', component: lazy(() => import('../pages/segments/SegmentsPage')) },
  { path: '/tags', nav: 'nav.tags', component: lazy(() => import('../pages/tags/TagsPage')) },
  { path: '/campaigns', nav: 'nav.campaigns', component: lazy(() => import('../pages/campaigns/CampaignsPage')) },
  { path: '/campaigns/new', section: '/campaigns', component: lazy(() => import('../pages/campaigns/CampaignPage')) },
  { path: '/campaigns/:code', section: '/campaigns', component: lazy(() => import('../pages/campaigns/CampaignPage')) },
  { path: '/churn-model', nav: 'nav.churn', component: lazy(() => import('../pages/churn/ChurnModelPage')) },
  { path: '/imports', nav: 'nav.imports', component: lazy(() => import('../pages/imports/ImportsPage')) },
  { path: '/audit', nav: 'nav.audit', component: lazy(() => import('../pages/audit/AuditPage')) },
  { path: '/jobs', nav: 'nav.jobs', component: lazy(() => import('../pages/jobs/JobsPage')) },
  { path: '/webhooks', nav: 'nav.webhooks', component: lazy(() => import('../pages/webhooks/WebhooksPage')) },
  { path: '/programme', nav: 'nav.programme', component: lazy(() => import('../pages/programme/ProgrammePage')) },
  { path: '/referrals', nav: 'nav.referrals', component: lazy(() => import('../pages/referrals/ReferralsPage')) },
];

/** Where `/admin` itself leads. */
export const HOME = '/dashboard';
