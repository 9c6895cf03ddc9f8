// npm run bench -- <name>: runs one benchmark and writes its figures to docs/benchmarks.md.
import 'reflect-metadata';
import { benchAbuse } from './abuse';
import { benchCampaignReport } from './campaign-report';
import { benchCampaigns } from './campaigns';
import { benchCheckIn } from './check-in';
import { benchFeed } from './feed';
import { benchImports } from './imports';
import { benchPoints } from './points';
import { benchReferrals } from './referrals';
import { benchReferralStats } from './referral-stats';
import { benchRetention } from './retention';
import { benchRetentionLate } from './retention-late';
import { benchRewards } from './rewards';
import { benchScreen } from './screen';
import { benchSearch } from './search';
import { benchTiers } from './tiers';
import { benchWebhooks } from './webhooks';

const benches: Record<string, () => Promise<void>> = {
  points: benchPoints, tiers: benchTiers, rewards: benchRewards, retention: benchRetention, feed: benchFeed, abuse: benchAbuse, search: benchSearch, screen: benchScreen,
  webhooks: benchWebhooks, imports: benchImports, campaigns: benchCampaigns, 'campaign-report': benchCampaignReport, 'check-in': benchCheckIn,
  referrals: benchReferrals,
  'referral-stats': benchReferralStats, 'retention-late': benchRetentionLate,
};
const name = process.argv[2];
const run = benches[name ?? ''];
if (!run) {
  console.log(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exit(name ? 1 : 0);
}
run().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
