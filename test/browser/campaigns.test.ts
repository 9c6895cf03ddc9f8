import type { Page } from 'playwright-core';
import { networkQuiet, startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, holdOperation, inProgrammeZone, leaveWhileSaving, overflows } from './support/page-checks';
import { canvasPixelsOver } from './support/canvas';

/**
 * The Campaigns pages in a real browser against the demo data: the list and a campaign's page
 * in their requests; create a campaign with the form (the control group's meaning shown as it
 * is typed; the server's refusal next to its field), simulate it over a past period (the
 * API's figures), activate, pause, resume and end it (end asks first), and its report: both
 * arms as the API gives them (every member of the audience assigned, the demo's purchases in
 * the window counted), the ARPU uplift's interval drawn against zero, cost and ROI; Chinese at
 * tablet width; axe.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

/** INTERVAL and ZERO of admin/src/pages/campaigns/report.tsx. */
const BLUE: [number, number, number] = [0x1d, 0x4e, 0xd8];
const GREY: [number, number, number] = [0x4d, 0x58, 0x68];

const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const START = dayOf(Date.now() - 120 * DAY);
const TODAY = dayOf(Date.now());

interface Arm { members: number; buyers: number; purchases: number; gmv: number; arpu: number | null; purchaseRate: number | null }
interface Report {
  treatment: Arm; control: Arm; upliftArpu: number | null; upliftArpuLow: number | null; upliftArpuHigh: number | null;
  upliftPurchaseRate: number | null; incrementalGmv: number | null; cost: number; roi: number | null;
}
const ARM = 'members buyers purchases gmv arpu purchaseRate';
const reportOf = (code: string) => adminQuery<{ campaignReport: Report }>(h, `query($c: String!) { campaignReport(code: $c) {
  treatment { ${ARM} } control { ${ARM} } upliftArpu upliftArpuLow upliftArpuHigh upliftPurchaseRate incrementalGmv cost roi } }`, { c: code }).then((d) => d.campaignReport);
const money = (x: number | null) => (x == null ? '—' : x.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const count = (x: number) => x.toLocaleString('en-GB');
const percent = (x: number | null) => (x == null ? '—' : x.toLocaleString('en-GB', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }));

/** A signed-in page on /campaigns/new, the audience's size (every member) shown. */
async function newCampaignPage(): Promise<Page> {
  const page = await h.open();
  await h.signIn(page);
  await h.goto(page, '/campaigns/new');
  await page.getByTestId('audience-size').getByText('Every member (200)').waitFor();
  return page;
}

async function statusIs(page: Page, label: string): Promise<void> {
  await page.getByTestId('campaign-status').getByText(label, { exact: true }).waitFor();
}

describe('Campaigns', () => {
  it('creates a campaign, simulates it, activates, pauses, resumes and ends it, and shows its report', async () => {
    const page = await h.open();
    await h.signIn(page);
    // The dashboard signed in to has asked for its data (a busy machine may be slow to start it).
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await page.getByTestId('total-members').waitFor();
    await networkQuiet(page);
    const listRequests = await graphqlRequests(page, async () => {
      await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Campaigns' }).click();
      await page.getByRole('heading', { level: 1, name: 'Campaigns' }).waitFor();
      // The demo's two, the ended one with what it gave.
      await page.getByTestId('campaigns').locator('tr[data-code="DOUBLE-POINTS"]').getByText('Ended').waitFor();
      await page.getByTestId('campaigns').locator('tr[data-code="WIN-BACK"]').getByText('Active').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(listRequests).toEqual(['Campaigns']);

    const formRequests = await graphqlRequests(page, async () => {
      await page.getByRole('button', { name: 'New campaign' }).click();
      await page.getByRole('heading', { level: 1, name: 'New campaign' }).waitFor();
      await page.getByTestId('audience-size').getByText('Every member (200)').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(formRequests).toEqual(['CampaignPage']);

    // The control group, prominent, says what it means as it is typed.
    const meaning = page.getByTestId('control-meaning');
    expect(await meaning.textContent()).toBe('10% of the audience is held out and never rewarded, so the report can measure the uplift.');
    await page.getByLabel('Code', { exact: true }).fill('SPRING-BONUS');
    await page.getByLabel('Name', { exact: true }).fill('Spring bonus');
    await page.getByLabel('Trigger').selectOption({ label: 'Purchase' });
    await page.getByLabel('Starts').fill(START);
    await page.getByLabel('Bonus points').fill('50');
    const control = page.getByLabel('Control group (%)');
    await control.fill('60');
    await meaning.getByText('60% of the audience is held out and never rewarded, so the report can measure the uplift.').waitFor();

    // The server refuses 60%: its message under the field, nothing created.
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const error = page.getByTestId('field-error-controlPercent');
    await error.waitFor();
    expect(await error.textContent()).toBe('The server did not accept this input. (controlPercent must be a whole number from 0 to 50)');
    expect(await control.getAttribute('aria-invalid')).toBe('true');
    expect(await h.axe(page)).toEqual([]);
    expect((await adminQuery<{ campaigns: { code: string }[] }>(h, '{ campaigns { code } }')).campaigns.map((c) => c.code).sort()).toEqual(['DOUBLE-POINTS', 'WIN-BACK']); // the demo's

    await control.fill('20');
    await meaning.getByText('20% of the audience is held out and never rewarded, so the report can measure the uplift.').waitFor();
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { level: 1, name: 'Spring bonus' }).waitFor();
    expect(page.url()).toMatch(/\/admin\/campaigns\/SPRING-BONUS$/);
    await statusIs(page, 'Draft');
    const stored = await adminQuery<{ campaign: { status: string; controlPercent: number; bonusPoints: number; startsAt: string; audience: unknown } }>(
      h, '{ campaign(code: "SPRING-BONUS") { status controlPercent bonusPoints startsAt audience { tierCodes } } }');
    expect(stored.campaign).toEqual({ status: 'DRAFT', controlPercent: 20, bonusPoints: 50, startsAt: `${START}T00:00:00.000Z`, audience: null });
    // A draft has no report yet.
    expect(await page.locator('#campaign-report').count()).toBe(0);

    // Simulated over its window so far: the API's figures for the same input.
    await page.getByLabel('From', { exact: true }).fill(START);
    await page.getByLabel('To', { exact: true }).fill(TODAY);
    const simRequests = await graphqlRequests(page, async () => {
      await page.getByRole('button', { name: 'Simulate' }).click();
      await page.getByTestId('simulation').waitFor();
    });
    expect(simRequests).toEqual(['SimulateCampaign']);
    const { simulateCampaign: sim } = await adminQuery<{ simulateCampaign: { eligibleMembers: number; qualifyingEvents: number; pointsWouldGive: number; costWouldBe: number } }>(h,
      `query($f: DateTime!, $t: DateTime!) { simulateCampaign(input: { code: "SPRING-BONUS", name: "Spring bonus", trigger: PURCHASE, startsAt: "${START}T00:00:00.000Z", bonusPoints: 50, controlPercent: 20 }, from: $f, to: $t) {
        eligibleMembers qualifyingEvents pointsWouldGive costWouldBe } }`, { f: `${START}T00:00:00.000Z`, t: `${TODAY}T00:00:00.000Z` });
    expect(sim.qualifyingEvents).toBeGreaterThan(0);
    expect(await page.getByTestId('sim-eligible').textContent()).toBe(count(sim.eligibleMembers));
    expect(await page.getByTestId('sim-events').textContent()).toBe(count(sim.qualifyingEvents));
    expect(await page.getByTestId('sim-points').textContent()).toBe(count(sim.pointsWouldGive));
    expect(await page.getByTestId('sim-cost').textContent()).toBe(money(sim.costWouldBe));

    // Activated: the audience (every member) is split into the arms, and the report appears.
    await page.getByRole('toolbar').getByRole('button', { name: 'Activate' }).click();
    await statusIs(page, 'Active');
    const report = await reportOf('SPRING-BONUS');
    expect(report.treatment.members + report.control.members).toBe(200);
    expect(report.control.members).toBeGreaterThan(0);
    const arms = page.getByTestId('campaign-arms');
    await arms.waitFor();
    const row = (id: string) => page.getByTestId(`arm-${id}`).locator('td').allTextContents();
    expect(await row('members')).toEqual([count(report.treatment.members), count(report.control.members)]);
    expect(await row('buyers')).toEqual([count(report.treatment.buyers), count(report.control.buyers)]);
    expect(await row('purchases')).toEqual([count(report.treatment.purchases), count(report.control.purchases)]);
    expect(await row('gmv')).toEqual([money(report.treatment.gmv), money(report.control.gmv)]);
    expect(await row('arpu')).toEqual([money(report.treatment.arpu), money(report.control.arpu)]);
    expect(await row('purchaseRate')).toEqual([percent(report.treatment.purchaseRate), percent(report.control.purchaseRate)]);
    // The demo's purchases in the window count for both arms, buyers or not.
    expect(report.treatment.purchases).toBeGreaterThan(0);
    expect(report.upliftArpu).not.toBeNull();
    expect(await page.getByTestId('uplift-arpu').textContent()).toBe(money(report.upliftArpu));
    expect(await page.getByTestId('uplift-interval').textContent()).toBe(`95% interval: ${money(report.upliftArpuLow)} to ${money(report.upliftArpuHigh)}`);
    expect(await page.getByTestId('incremental-gmv').textContent()).toBe(money(report.incrementalGmv));
    expect(await page.getByTestId('campaign-cost').textContent()).toBe(money(report.cost));
    expect(await page.getByTestId('campaign-roi').textContent()).toBe(report.roi == null ? '—' : report.roi.toLocaleString('en-GB', { style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: 0 }));
    // Honest words: the reading follows the interval.
    const reading = report.upliftArpuLow! > 0 ? /whole interval is above 0/ : report.upliftArpuHigh! < 0 ? /whole interval is below 0/ : /^The interval includes 0/;
    expect(await page.getByTestId('uplift-reading').textContent()).toMatch(reading);
    // The interval drawn (blue bar) against the zero line (grey).
    await page.getByTestId('chart-uplift').locator('canvas').first().waitFor();
    expect(await canvasPixelsOver(page, 'chart-uplift', BLUE, 100)).toBeGreaterThan(100);
    expect(await canvasPixelsOver(page, 'chart-uplift', GREY, 20)).toBeGreaterThan(20);
    expect(await page.getByRole('img', { name: /^Chart: ARPU uplift .*, 95% interval from .* to .*, against a line at zero$/ }).count()).toBe(1);
    expect(await h.axe(page)).toEqual([]);
    await page.locator('#campaign-report').scrollIntoViewIfNeeded();
    await h.screenshot(page, 'campaign');
    expect(await overflows(page)).toBe(false);

    // Paused, resumed, paused again; ending asks first (Cancel keeps it), then ends it.
    await page.getByRole('toolbar').getByRole('button', { name: 'Pause' }).click();
    await statusIs(page, 'Paused');
    await page.getByRole('toolbar').getByRole('button', { name: 'Resume' }).click();
    await statusIs(page, 'Active');
    await page.getByRole('toolbar').getByRole('button', { name: 'End campaign' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'End this campaign?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await statusIs(page, 'Active');
    await page.getByRole('toolbar').getByRole('button', { name: 'End campaign' }).click();
    await dialog.getByTestId('confirm').click();
    await statusIs(page, 'Ended');
    const ended = (await adminQuery<{ campaign: { status: string; endedAt: string; endedReason: string } }>(h, '{ campaign(code: "SPRING-BONUS") { status endedAt endedReason } }')).campaign;
    expect(ended).toMatchObject({ status: 'ENDED', endedReason: 'ADMIN' });
    // When it stopped giving, in the programme's zone, beside why.
    const zone = (await adminQuery<{ program: { timeZone: string } }>(h, '{ program { timeZone } }')).program.timeZone;
    const at = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(ended.endedAt));
    expect(await page.getByTestId('ended-at').textContent()).toBe(`on ${at}`);
    expect(await page.getByRole('toolbar').getByRole('button').count()).toBe(0);
    // An ended campaign cannot be edited: its form is shown disabled, with nothing to save.
    await page.getByTestId('campaign-ended-note').getByText('This campaign has ended: it can no longer be edited.', { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
    expect(await page.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Bonus points').isDisabled()).toBe(true);

    // The list: the campaign with its trigger, status, window, points given, budget and control share.
    await page.getByRole('toolbar').getByRole('link', { name: 'All campaigns' }).click();
    const listed = page.getByTestId('campaigns').locator('tr[data-code="SPRING-BONUS"] td');
    await listed.first().waitFor();
    const cells = await listed.allTextContents();
    expect(cells[0]).toBe('SPRING-BONUS');
    expect(cells.slice(1, 4)).toEqual(['Spring bonus', 'Purchase', 'Ended']);
    expect(cells[4]).toMatch(/^from .*, no end$/);
    expect(cells[5]).toMatch(/^[\d,]+$/);
    expect(cells[6]).toBe('no budget');
    expect(cells[7]).toBe('20%');
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('limits the audience with the segment filter (its live size), and edits the running campaign', async () => {
    const page = await newCampaignPage();
    const { segmentPreview } = await adminQuery<{ segmentPreview: { size: number } }>(h, '{ segmentPreview(filter: { tierCodes: ["BRONZE"] }) { size } }');
    await page.getByText('The audience\'s conditions').click();
    const requests = await graphqlRequests(page, async () => {
      await page.getByTestId('filter-builder').getByRole('group', { name: 'Tiers' }).getByLabel('Bronze').check();
      await page.getByTestId('audience-size').getByText(`${count(segmentPreview.size)} members match now`).waitFor();
    });
    expect(requests).toEqual(['CampaignAudienceSize']);
    await page.getByLabel('Code', { exact: true }).fill('BRONZE-BOOST');
    await page.getByLabel('Name', { exact: true }).fill('Bronze boost');
    await page.getByLabel('Bonus points').fill('20');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bronze boost' }).waitFor();
    const { campaign } = await adminQuery<{ campaign: { audience: { tierCodes: string[] } | null; controlPercent: number } }>(h, '{ campaign(code: "BRONZE-BOOST") { audience { tierCodes } controlPercent } }');
    expect(campaign).toEqual({ audience: expect.objectContaining({ tierCodes: ['BRONZE'] }), controlPercent: 10 });
    // Activated: only the audience is assigned to the arms.
    await page.getByRole('toolbar').getByRole('button', { name: 'Activate' }).click();
    await statusIs(page, 'Active');
    const report = await reportOf('BRONZE-BOOST');
    expect(report.treatment.members + report.control.members).toBe(segmentPreview.size);
    await page.getByTestId('arm-members').waitFor();

    // Edited while active: saved (and audited), the code fixed.
    expect(await page.getByLabel('Code', { exact: true }).getAttribute('readonly')).not.toBeNull();
    await page.getByText('This campaign is running: every change is recorded in the audit log.').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Bronze boost, extended');
    await page.getByLabel('Bonus points').fill('30');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('campaign-saved').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Bronze boost, extended' }).waitFor();
    const edited = await adminQuery<{ campaign: { name: string; bonusPoints: number; status: string } }>(h, '{ campaign(code: "BRONZE-BOOST") { name bonusPoints status } }');
    expect(edited.campaign).toEqual({ name: 'Bronze boost, extended', bonusPoints: 30, status: 'ACTIVE' });
    // A whole number is checked before sending (GraphQL would refuse 2.5 without naming the field).
    await page.getByLabel('Bonus points').fill('2.5');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('field-error-bonusPoints').getByText('Enter a whole number (at most 2,147,483,647).').waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('shows a refused audience condition once, under its control, and keeps the conditions open as they are emptied', async () => {
    const page = await newCampaignPage();
    await page.getByText('The audience\'s conditions').click();
    const least = page.getByLabel('Balance at least');
    const most = page.getByLabel('Balance at most');
    await least.fill('100');
    await most.fill('5');
    const mostHeight = (await most.boundingBox())!.height;
    await page.getByLabel('Code', { exact: true }).fill('NOBODY-MATCHES');
    await page.getByLabel('Name', { exact: true }).fill('Nobody matches');
    await page.getByLabel('Bonus points').fill('5');
    // Refused while the conditions are closed: opened, the refused control focused.
    await page.getByText('The audience\'s conditions').click();
    expect(await page.locator('details.audience-details').getAttribute('open')).toBeNull();
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const error = page.getByTestId('field-error-minBalance');
    await error.waitFor();
    await networkQuiet(page);
    expect(await least.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('details.audience-details').getAttribute('open')).not.toBeNull();
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name")')).toBe('minBalance');
    // Once: under its control, not again in the form's alert (which has nothing else to say).
    expect(await page.locator('.campaign-form .form-alert').count()).toBe(0);
    expect(await page.getByText('minBalance must not exceed maxBalance', { exact: false }).count()).toBe(1);
    expect((await adminQuery<{ campaign: unknown }>(h, '{ campaign(code: "NOBODY-MATCHES") { code } }')).campaign).toBeNull();
    // The message under one control does not stretch its neighbour (it stretched to the message's height).
    expect((await most.boundingBox())!.height).toBe(mostHeight);
    // Emptying every condition leaves the editor open, the focus where the operator typed.
    await least.fill('');
    await most.fill('');
    expect(await page.locator('details.audience-details').getAttribute('open')).not.toBeNull();
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name")')).toBe('maxBalance');
    await page.getByTestId('audience-size').getByText('Every member (200)').waitFor();
    // Closed, then a saved segment picked: its conditions are shown.
    await page.getByText('The audience\'s conditions').click();
    expect(await page.locator('details.audience-details').getAttribute('open')).toBeNull();
    await page.getByLabel('Start from a saved segment').selectOption({ label: 'Champions' });
    await page.locator('details.audience-details[open]').waitFor();
    expect(await page.getByTestId('filter-builder').getByRole('group', { name: 'RFM cells' }).getByLabel('Important value').isChecked()).toBe(true);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('refuses to create a campaign with the code of an existing one, and sends nothing', async () => {
    await adminQuery(h, `mutation { upsertCampaign(input: { code: "RUNNING-BUDGET", name: "Running with a budget", trigger: PURCHASE, startsAt: "${START}T00:00:00.000Z", bonusPoints: 40, budgetPoints: 5000 }) { code } }`);
    await adminQuery(h, 'mutation { activateCampaign(code: "RUNNING-BUDGET") { status } }');
    const before = await adminQuery<{ campaign: unknown }>(h, '{ campaign(code: "RUNNING-BUDGET") { name bonusPoints budgetPoints status startsAt controlPercent } }');
    const page = await newCampaignPage();
    await page.getByLabel('Code', { exact: true }).fill(' RUNNING-BUDGET ');
    await page.getByLabel('Name', { exact: true }).fill('A new one');
    await page.getByLabel('Bonus points').fill('1');
    const sent = await graphqlRequests(page, async () => {
      await page.getByRole('button', { name: 'Create campaign' }).click();
      await page.getByTestId('field-error-code').getByText('A campaign with the code RUNNING-BUDGET already exists: choose another code, or open that campaign to edit it.').waitFor();
      await networkQuiet(page);
    });
    expect(sent).not.toContain('UpsertCampaign');
    expect(await page.getByLabel('Code', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('heading', { level: 1, name: 'New campaign' }).waitFor();
    expect(await adminQuery(h, '{ campaign(code: "RUNNING-BUDGET") { name bonusPoints budgetPoints status startsAt controlPercent } }')).toEqual(before);
    // Another code is created as before.
    await page.getByLabel('Code', { exact: true }).fill('A-NEW-ONE');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { level: 1, name: 'A new one' }).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('says so when there is no control group: no uplift, no ROI, no chart', async () => {
    await adminQuery(h, `mutation { upsertCampaign(input: { code: "NO-CONTROL", name: "Everyone rewarded", trigger: PURCHASE, startsAt: "${START}T00:00:00.000Z", bonusPoints: 5, controlPercent: 0 }) { code } }`);
    await adminQuery(h, 'mutation { activateCampaign(code: "NO-CONTROL") { status } }');
    const report = await reportOf('NO-CONTROL');
    expect(report.control.members).toBe(0);
    expect(report.upliftArpu).toBeNull();
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/campaigns/NO-CONTROL');
    await page.getByTestId('campaign-arms').waitFor();
    expect(await page.getByTestId('control-meaning').textContent()).toMatch(/^No control group: every member of the audience is rewarded/);
    expect(await page.getByTestId('uplift-arpu').textContent()).toBe('—');
    expect(await page.getByTestId('uplift-interval').textContent()).toBe('No estimate: an arm has fewer than 2 members.');
    expect(await page.getByTestId('campaign-roi').textContent()).toBe('—');
    expect(await page.getByTestId('uplift-reading').textContent()).toMatch(/^An arm has fewer than 2 members, so there is no uplift estimate/);
    expect(await page.getByTestId('chart-uplift').count()).toBe(0);
    expect(await page.getByTestId('arm-members').locator('td').allTextContents()).toEqual([count(report.treatment.members), '0']);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('counts the window in whole days of the programme\'s time zone', async () => {
    const zone = 'Asia/Shanghai';
    await adminQuery(h, `mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone } }`, { i: { timeZone: zone } });
    try {
      const page = await h.open();
      await h.signIn(page);
      await h.goto(page, '/campaigns/new');
      await page.getByRole('heading', { level: 1, name: 'New campaign' }).waitFor();
      // The form's hint names the zone its days are counted in.
      await page.getByText("At 00:00 of this day in the programme's time zone (Asia/Shanghai).", { exact: true }).waitFor();
      await page.getByLabel('Code', { exact: true }).fill('LOCAL-DAYS');
      await page.getByLabel('Name', { exact: true }).fill('Local days');
      await page.getByLabel('Starts', { exact: true }).fill('2026-03-10');
      await page.getByLabel('Ends', { exact: true }).fill('2026-03-20');
      await page.getByLabel('Bonus points').fill('5');
      await page.getByRole('button', { name: 'Create campaign' }).click();
      await page.getByRole('heading', { level: 1, name: 'Local days' }).waitFor();
      // Shanghai's midnights (UTC+8): 16:00 UTC the day before.
      const stored = await adminQuery<{ campaign: { startsAt: string; endsAt: string } }>(h, '{ campaign(code: "LOCAL-DAYS") { startsAt endsAt } }');
      expect(stored.campaign).toEqual({ startsAt: '2026-03-09T16:00:00.000Z', endsAt: '2026-03-19T16:00:00.000Z' });
      // Shown as the days typed, in the form and the status line, not as the UTC days before them.
      expect(await page.getByLabel('Starts', { exact: true }).inputValue()).toBe('2026-03-10');
      expect(await page.getByLabel('Ends', { exact: true }).inputValue()).toBe('2026-03-20');
      const day = (iso: string) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: zone }).format(new Date(iso));
      // The status line names the last day the window includes (the end, 20 March 00:00, is not): 10–19 March.
      await page.getByText(`${day(stored.campaign.startsAt)} – ${day('2026-03-19T04:00:00.000Z')}`).waitFor();
      expect(day(stored.campaign.startsAt)).toMatch(/10/);
      expect(day('2026-03-19T04:00:00.000Z')).toMatch(/19/);
      // The simulation's period is the same local days: [local midnight of From, local midnight of To).
      await page.getByLabel('From', { exact: true }).fill('2026-03-10');
      await page.getByLabel('To', { exact: true }).fill('2026-03-20');
      const sent: unknown[] = [];
      page.on('request', (r) => { if (r.url().endsWith('/graphql') && r.postDataJSON()?.operationName === 'SimulateCampaign') sent.push(r.postDataJSON().variables); });
      await page.getByRole('button', { name: 'Simulate' }).click();
      await page.getByTestId('simulation').waitFor();
      expect(sent).toEqual([expect.objectContaining({ from: '2026-03-09T16:00:00.000Z', to: '2026-03-19T16:00:00.000Z' })]);
      expect(h.pageErrors(page)).toEqual([]);
    } finally {
      await adminQuery(h, `mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone } }`, { i: { timeZone: 'UTC' } });
    }
  });

  it('counts the audience\'s date conditions in whole days of the programme\'s time zone', async () => {
    const zone = 'Asia/Shanghai';
    await inProgrammeZone(h, zone, async () => {
      const page = await newCampaignPage();
      await page.getByText('The audience\'s conditions').click();
      const builder = page.getByTestId('filter-builder');
      await builder.getByText("Dates are whole days in the programme's time zone (Asia/Shanghai).", { exact: true }).waitFor();
      const sent: { operationName: string; variables: Record<string, unknown> }[] = [];
      page.on('request', (r) => { if (new URL(r.url()).pathname === '/graphql') sent.push(r.postDataJSON()); });
      await builder.getByLabel('Joined on or after').fill('2026-03-10');
      await builder.getByLabel('Joined before').fill('2026-03-20');
      // Shanghai's midnights (UTC+8): 16:00 UTC the day before.
      const filter = { joinedFrom: '2026-03-09T16:00:00.000Z', joinedTo: '2026-03-19T16:00:00.000Z' };
      const { segmentPreview } = await adminQuery<{ segmentPreview: { size: number } }>(h, 'query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }', { f: filter });
      await page.getByTestId('audience-size').getByText(`${count(segmentPreview.size)} members match now`).waitFor();
      expect(sent.filter((r) => r.operationName === 'CampaignAudienceSize').map((r) => r.variables.filter).pop()).toEqual(filter);
      await page.getByLabel('Code', { exact: true }).fill('MARCH-JOINERS');
      await page.getByLabel('Name', { exact: true }).fill('March joiners');
      await page.getByLabel('Bonus points').fill('5');
      await page.getByRole('button', { name: 'Create campaign' }).click();
      await page.getByRole('heading', { level: 1, name: 'March joiners' }).waitFor();
      const { campaign } = await adminQuery<{ campaign: { audience: { joinedFrom: string; joinedTo: string } } }>(h, '{ campaign(code: "MARCH-JOINERS") { audience { joinedFrom joinedTo } } }');
      expect(campaign.audience).toEqual(filter);
      // Shown as the days chosen.
      expect(await builder.getByLabel('Joined on or after').inputValue()).toBe('2026-03-10');
      expect(await builder.getByLabel('Joined before').inputValue()).toBe('2026-03-20');
      expect(h.pageErrors(page)).toEqual([]);
    });
  });

  it('saves a campaign whose window is not at midnight without moving it: a running one edited, a draft renamed', async () => {
    // A script set the window to the minute (not a local midnight, which is all a day typed in the form gives).
    const start = new Date(Date.now() - 3_600_000);
    start.setUTCMinutes(23, 0, 0);
    const end = new Date(Date.now() + 20 * DAY);
    end.setUTCHours(15, 0, 0, 0);
    const window = { startsAt: start.toISOString(), endsAt: end.toISOString() };
    for (const code of ['API-RUNNING', 'API-DRAFT']) {
      await adminQuery(h, 'mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }',
        { i: { code, name: `${code} from a script`, trigger: 'PURCHASE', ...window, bonusPoints: 10, budgetPoints: 1000, controlPercent: 10 } });
    }
    await adminQuery(h, 'mutation { activateCampaign(code: "API-RUNNING") { status } }');
    const stored = (code: string) => adminQuery<{ campaign: { startsAt: string; endsAt: string | null; budgetPoints: number; name: string } }>(
      h, 'query($c: String!) { campaign(code: $c) { startsAt endsAt budgetPoints name } }', { c: code }).then((d) => d.campaign);
    // The demo programme's zone is UTC; the time in the language's format (2:23 AM in English, 02:23 in Chinese).
    const hour = (d: Date) => String(d.getUTCHours() % 12 || 12);

    const page = await h.open();
    await h.signIn(page);
    const sent: { startsAt: string; endsAt: string | null }[] = [];
    page.on('request', (r) => {
      const body = r.postDataJSON() as { operationName?: string; variables: { input: { startsAt: string; endsAt: string | null } } } | null;
      if (new URL(r.url()).pathname === '/graphql' && body?.operationName === 'UpsertCampaign') sent.push(body.variables.input);
    });
    // The running campaign: its budget raised. Its start cannot move, and does not.
    await h.goto(page, '/campaigns/API-RUNNING');
    await page.locator('[data-field="startsAt"] .field-hint').getByText(new RegExp(`^The campaign started at ${hour(start)}:23\\W*[AP]M on this day \\(UTC\\): its start cannot move`)).waitFor();
    await page.locator('[data-field="endsAt"] .field-hint').getByText(/^Now at 3:00\W*PM on this day \(UTC\)/).waitFor();
    await page.getByLabel('Budget (points)').fill('2000');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('campaign-saved').waitFor();
    expect(await page.locator('#campaign-form .field-error, #campaign-form .form-alert').count()).toBe(0);
    expect(sent).toEqual([expect.objectContaining(window)]);
    expect(await stored('API-RUNNING')).toEqual({ ...window, budgetPoints: 2000, name: 'API-RUNNING from a script' });

    // The draft: renamed, its window kept to the minute; then its end moved by a day typed: that day's midnight.
    await h.goto(page, '/campaigns/API-DRAFT');
    await page.getByLabel('Name', { exact: true }).fill('API-DRAFT renamed in the console');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('campaign-saved').waitFor();
    expect(await stored('API-DRAFT')).toEqual({ ...window, budgetPoints: 1000, name: 'API-DRAFT renamed in the console' });
    const later = dayOf(end.getTime() + 2 * DAY);
    await page.getByLabel('Ends', { exact: true }).fill(later);
    await page.locator('[data-field="endsAt"] .field-hint').getByText('At 00:00 of this day').waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('campaign-saved').waitFor();
    expect(await stored('API-DRAFT')).toEqual({ ...window, endsAt: `${later}T00:00:00.000Z`, budgetPoints: 1000, name: 'API-DRAFT renamed in the console' });

    // The same hint in Chinese.
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/campaigns/API-RUNNING');
    await page.locator('[data-field="startsAt"] .field-hint').getByText(`活动已于当天 ${start.toISOString().slice(11, 16)}（UTC）开始：开始时间不能再改。`).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('marks a fraction in an integer field next to that field when simulating, without its raw name, in both languages', async () => {
    const page = await newCampaignPage();
    await page.getByLabel('Code', { exact: true }).fill('SIMTEST');
    await page.getByLabel('Name', { exact: true }).fill('Sim test');
    await page.getByLabel('Bonus points').fill('1.5');
    const requests = await graphqlRequests(page, async () => {
      await page.locator('#campaign-simulate').getByRole('button', { name: 'Simulate' }).click();
      await page.getByTestId('field-error-bonusPoints').getByText('Enter a whole number (at most 2,147,483,647).').waitFor();
    });
    expect(requests).toEqual([]);
    expect(await page.getByLabel('Bonus points').getAttribute('aria-invalid')).toBe('true');
    const alert = page.locator('#campaign-simulate .form-alert');
    expect(await alert.textContent()).toBe('Correct the campaign\'s fields marked above, then simulate again.');
    expect(await page.locator('main').textContent()).not.toContain('bonusPoints');
    // Corrected: the simulation runs, and the marks go.
    await page.getByLabel('Bonus points').fill('50');
    await page.locator('#campaign-simulate').getByRole('button', { name: 'Simulate' }).click();
    await page.getByTestId('simulation').waitFor();
    expect(await page.getByTestId('field-error-bonusPoints').count()).toBe(0);
    expect(await alert.count()).toBe(0);

    await page.getByTestId('language-switch').selectOption('zh-CN');
    await page.getByLabel('奖励积分').fill('2.5');
    await page.locator('#campaign-simulate').getByRole('button', { name: '模拟' }).click();
    await page.getByTestId('field-error-bonusPoints').getByText('请输入整数（不超过 2,147,483,647）。').waitFor();
    expect(await alert.textContent()).toBe('请先修改上方活动表单中标出的字段，再模拟。');
    expect(await page.locator('main').textContent()).not.toContain('bonusPoints');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('an activated campaign shows its control share, trigger and passed start as stored, not to be edited; one audience condition reads "1 condition"', async () => {
    await adminQuery(h, `mutation { upsertCampaign(input: { code: "FIXED-ARMS", name: "Fixed arms", trigger: PURCHASE, startsAt: "${START}T00:00:00.000Z", bonusPoints: 10, controlPercent: 30, audience: { tierCodes: ["BRONZE"] } }) { code } }`);
    await adminQuery(h, 'mutation { activateCampaign(code: "FIXED-ARMS") { status } }');
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/campaigns/FIXED-ARMS');
    await page.getByText('Fixed once the campaign has been activated: its arms are assigned.').waitFor();
    expect(await page.getByLabel('Control group (%)').inputValue()).toBe('30');
    expect(await page.getByLabel('Control group (%)').getAttribute('readonly')).not.toBeNull();
    expect(await page.getByLabel('Trigger', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Starts', { exact: true }).getAttribute('readonly')).not.toBeNull();
    await page.getByText('The campaign has started: its start cannot move.').waitFor();
    await page.getByTestId('audience-size').getByText('1 condition', { exact: true }).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('what the operator types while a save is on its way stays in the form, unsaved and not called saved, and keeps the cursor', async () => {
    const nameOf = async () => (await adminQuery<{ campaign: { name: string } }>(h, '{ campaign(code: "WIN-BACK") { name } }')).campaign.name;
    const original = await nameOf();
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/campaigns/WIN-BACK');
    const name = page.getByLabel('Name', { exact: true });
    await name.fill(`${original} [A]`);
    const save = await holdOperation(page, 'UpsertCampaign');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Working…' }).waitFor();
    await name.press('End');
    await name.pressSequentially(' and B');
    const answered = page.waitForResponse((r) => (r.request().postDataJSON() as { operationName?: string } | null)?.operationName === 'UpsertCampaign');
    save.release();
    await answered;
    await page.getByRole('button', { name: 'Save changes' }).waitFor();
    expect(await name.inputValue()).toBe(`${original} [A] and B`);
    expect(await page.getByTestId('campaign-saved').count()).toBe(0);
    expect(await nameOf()).toBe(`${original} [A]`);
    // Saved again: all of it, and now said.
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('campaign-saved').waitFor();
    expect(await nameOf()).toBe(`${original} [A] and B`);
    await name.fill(original);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('campaign-saved').waitFor();
    expect(await nameOf()).toBe(original);

    // A refusal that arrives while the operator types elsewhere marks its field without taking the cursor.
    const refused = await holdOperation(page, 'UpsertCampaign');
    await page.getByLabel('Budget (points)').fill('-5');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Working…' }).waitFor();
    await name.click();
    await name.press('End');
    await name.pressSequentially(' C');
    refused.release();
    await page.locator('[data-field="budgetPoints"] .field-error').waitFor();
    expect(await page.getByLabel('Budget (points)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name")')).toBe('name');
    await name.pressSequentially('D');
    expect(await name.inputValue()).toBe(`${original} CD`);
    expect(await nameOf()).toBe(original);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a new campaign saved after the operator went to another page does not take them back to it', async () => {
    const page = await newCampaignPage();
    await page.getByLabel('Code', { exact: true }).fill('LEFT-BEHIND');
    await page.getByLabel('Name', { exact: true }).fill('Saved after leaving');
    await page.getByLabel('Trigger').selectOption({ label: 'Purchase' });
    await page.getByLabel('Starts').fill(START);
    await page.getByLabel('Bonus points').fill('5');
    const held = await holdOperation(page, 'UpsertCampaign');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    for (let i = 0; i < 200 && held.sent() === 0; i += 1) await page.waitForTimeout(50);
    expect(await leaveWhileSaving(page, 'UpsertCampaign', held)).toEqual({ path: '/admin/rewards', typed: 'Half typed' });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, at tablet width', async () => {
    await adminQuery(h, `mutation { upsertCampaign(input: { code: "ZH-TEST", name: "春季活动", trigger: PURCHASE, startsAt: "${START}T00:00:00.000Z", bonusPoints: 10 }) { code } }`);
    await adminQuery(h, 'mutation { activateCampaign(code: "ZH-TEST") { status } }');
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/campaigns/ZH-TEST');
    for (const heading of ['活动', '在过去的时段上模拟', '报告：实验组对比对照组']) {
      await page.getByRole('heading', { level: 2, name: heading, exact: true }).waitFor();
    }
    await page.getByTestId('control-meaning').getByText('目标人群中的 10% 被留作对照组，永不获得奖励，报告因此能衡量增量。').waitFor();
    await page.getByTestId('campaign-arms').waitFor();
    await page.waitForTimeout(1500);
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    await h.goto(page, '/campaigns');
    await page.getByRole('heading', { level: 1, name: '营销活动' }).waitFor();
    await page.getByTestId('campaigns').waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });
});
