// The campaign form's window (admin/src/pages/campaigns/form.ts): an existing campaign's stored
// instants go back unchanged while their day is unchanged; a day typed is its local midnight.
import { fromCampaign, isLocalMidnight, toInput, windowInstant } from '../../admin/src/pages/campaigns/form';
import type { CampaignFieldsFragment } from '../../admin/src/gql/graphql';

const campaign = (startsAt: string, endsAt: string | null) => ({
  id: '1', code: 'API', name: 'From a script', trigger: 'PURCHASE', status: 'ACTIVE', endedReason: null, startsAt, endsAt, audience: null,
  activityKind: null, minAmount: null, multiplier: null, bonusPoints: 10, rewardCode: null, perMemberLimit: null, budgetPoints: 1000, controlPercent: 10,
}) as unknown as CampaignFieldsFragment;

describe('the campaign form\'s window', () => {
  it('sends the stored instants of fields left alone, to the millisecond, whatever the zone', () => {
    for (const zone of ['UTC', 'Asia/Shanghai', 'America/New_York']) {
      const c = campaign('2026-03-08T07:23:00.000Z', '2026-04-01T15:00:00.000Z');
      const input = toInput(fromCampaign(c, zone), zone);
      expect([input.startsAt, input.endsAt]).toEqual(['2026-03-08T07:23:00.000Z', '2026-04-01T15:00:00.000Z']);
    }
  });

  it('sends a day the operator changed as its local midnight, and the stored instant again once the day is back', () => {
    const draft = fromCampaign(campaign('2026-03-08T07:23:00.000Z', '2026-04-01T15:00:00.000Z'), 'Asia/Shanghai');
    expect(draft.endsAt).toBe('2026-04-01');
    expect(toInput({ ...draft, endsAt: '2026-04-03' }, 'Asia/Shanghai').endsAt).toBe('2026-04-02T16:00:00.000Z');
    expect(toInput({ ...draft, endsAt: '' }, 'Asia/Shanghai').endsAt).toBeNull();
    expect(windowInstant('2026-04-01', draft.stored?.endsAt, 'Asia/Shanghai')).toBe('2026-04-01T15:00:00.000Z');
    // A new campaign has nothing stored: days are midnights.
    expect(windowInstant('2026-04-01', null, 'UTC')).toBe('2026-04-01T00:00:00.000Z');
  });

  it('tells a local midnight from another time of the day', () => {
    expect(isLocalMidnight('2026-03-07T16:00:00.000Z', 'Asia/Shanghai')).toBe(true);
    expect(isLocalMidnight('2026-03-08T00:00:00.000Z', 'Asia/Shanghai')).toBe(false);
    expect(isLocalMidnight('2026-03-08T00:00:00.000Z', 'UTC')).toBe(true);
  });
});
