import type { Page } from 'playwright-core';
import { parseSignatureHeader } from '../../src/modules/webhooks/webhooks.rules';
import { startReceiver, verifySignature, type Receiver } from '../support/webhook-receiver';
import { eventually } from '../support/wait';
import { startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, holdOperation, loseAnswers, overflows } from './support/page-checks';

/**
 * The Webhooks page in a real browser, with a real receiver: an endpoint created (its secret
 * shown once, and the ping it sends verified with it), its event types edited, deactivated and
 * activated, its secret rotated (both secrets sign), the delivery log filtered and paged, a
 * DEAD delivery redelivered, an endpoint deleted after a confirmation; axe-core; Chinese at
 * tablet width. Short time limit and backoff, two attempts.
 */
let h: ConsoleHarness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startConsole({ webhooks: { timeoutMs: 1000, backoffMs: 100, maxAttempts: 2, allowInsecure: true, concurrency: 4 } });
  receiver = await startReceiver();
}, 300_000);
afterAll(async () => {
  await receiver?.close();
  await h?.stop();
});

const row = (page: Page, url: string) => page.getByTestId('endpoints').locator('tbody tr', { hasText: url });

/** Creates an endpoint for `url` through the page (every event type); the secret it showed. */
async function createEndpoint(page: Page, url: string): Promise<string> {
  await page.getByRole('button', { name: 'New endpoint' }).click();
  const dialog = page.getByRole('dialog', { name: 'New webhook endpoint' });
  await dialog.getByLabel('URL').fill(url);
  await dialog.getByRole('button', { name: 'Create' }).click();
  const shown = page.getByRole('dialog', { name: 'The signing secret, shown once' });
  const secret = await shown.getByTestId('webhook-secret').inputValue();
  expect(secret).toMatch(/^whsec_/);
  await shown.getByRole('button', { name: 'Copy' }).click();
  await shown.getByText(/Copied\.|select the secret and copy it/).waitFor();
  await shown.getByRole('button', { name: 'I have kept it' }).click();
  await shown.waitFor({ state: 'detached' });
  await row(page, url).waitFor();
  return secret;
}

describe('Webhooks', () => {
  it('creates an endpoint (its secret shown once), pings it: the receiver verifies the signature; the log shows it delivered', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/webhooks');
      await page.getByText('No endpoint yet: create one to receive events.').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests.sort()).toEqual(['WebhookDeliveries', 'WebhooksPage']);
    const url = `${receiver.url}/first`;
    const secret = await createEndpoint(page, url);
    // The form sent an idempotency key: saving again after a lost answer gets this endpoint, not a second one.
    expect(await h.server.sql('select idempotency_key is not null as keyed from webhook_endpoint where url = $1', [url])).toEqual([{ keyed: true }]);
    const cells = await row(page, url).locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual([url, 'All event types (*)', 'Active', `…${secret.slice(-4)}`]);
    expect(await page.content()).not.toContain(secret); // shown once: gone with its dialog

    await page.getByRole('button', { name: `Ping ${url} (a webhook.ping event)` }).click();
    await page.getByTestId('webhooks-notice').getByText(`A webhook.ping event is on its way to ${url}`).waitFor();
    await eventually(() => receiver.received.some((r) => r.path === '/first'), 'the ping at the receiver');
    const ping = receiver.received.find((r) => r.path === '/first')!;
    expect(ping.eventType).toBe('webhook.ping');
    expect(verifySignature(secret, ping.signature, ping.body)).toBe(true);
    await eventually(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await page.getByTestId('deliveries').locator(`tr[data-status="DELIVERED"]`).count()) === 1;
    }, 'the delivered ping in the log');
    expect(await page.getByTestId('deliveries').locator('tbody tr').first().locator('td').nth(1).textContent()).toContain('webhook.ping');
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    await h.screenshot(page, 'webhooks');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a double click on Ping sends one ping', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/webhooks');
    const url = `${receiver.url}/double`;
    await createEndpoint(page, url);
    const { webhookEndpoints } = await adminQuery<{ webhookEndpoints: { id: string; url: string }[] }>(h, '{ webhookEndpoints { id url } }');
    const id = webhookEndpoints.find((e) => e.url === url)!.id;
    const sent = await graphqlRequests(page, async () => {
      await page.getByRole('button', { name: `Ping ${url} (a webhook.ping event)` }).dblclick();
      await page.getByTestId('webhooks-notice').getByText(`A webhook.ping event is on its way to ${url}`).waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(sent.filter((op) => op === 'PingWebhookEndpoint')).toHaveLength(1);
    const { webhookDeliveries } = await adminQuery<{ webhookDeliveries: { edges: unknown[] } }>(
      h, 'query($id: ID) { webhookDeliveries(endpointId: $id, first: 10) { edges { node { id } } } }', { id });
    expect(webhookDeliveries.edges).toHaveLength(1);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('edits event types, deactivates and activates, rotates the secret (both sign), refuses a bad URL next to its field', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/webhooks');
    const url = `${receiver.url}/second`;
    const old = await createEndpoint(page, url);

    await page.getByRole('button', { name: `Edit ${url}` }).click();
    const dialog = page.getByRole('dialog', { name: `Edit ${url}` });
    await dialog.getByLabel('All event types (*)').uncheck();
    await dialog.getByLabel('tier.changed').check();
    await dialog.getByLabel('points.earned').check();
    await dialog.getByLabel('URL').fill('ftp://example.com/');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('field-error-url').getByText(/http\(s\) URL/).waitFor();
    await dialog.getByLabel('URL').fill(url);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row(page, url).getByText('points.earned').waitFor();
    expect(await row(page, url).locator('td').nth(1).textContent()).toBe('tier.changedpoints.earned');

    await page.getByRole('button', { name: `Deactivate ${url}` }).click();
    await row(page, url).getByText('Inactive').waitFor();
    expect(await page.getByRole('button', { name: `Ping ${url} (a webhook.ping event)` }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: `Activate ${url}` }).click();
    await row(page, url).getByText('Active', { exact: true }).waitFor();

    await page.getByRole('button', { name: `Rotate secret of ${url}` }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Rotate the signing secret?' });
    await confirm.getByRole('button', { name: 'Rotate secret' }).click();
    const shown = page.getByRole('dialog', { name: 'The signing secret, shown once' });
    const fresh = await shown.getByTestId('webhook-secret').inputValue();
    expect(fresh).not.toBe(old);
    // The rotation sent an idempotency key: a retry after a lost answer returns this secret instead of rotating again.
    expect(await h.server.sql('select rotation_key is not null as keyed from webhook_endpoint where url = $1', [url])).toEqual([{ keyed: true }]);
    await shown.getByRole('button', { name: 'I have kept it' }).click();
    await row(page, url).getByText(`…${fresh.slice(-4)}`).waitFor();
    await page.getByRole('button', { name: `Ping ${url} (a webhook.ping event)` }).click();
    await eventually(() => receiver.received.some((r) => r.path === '/second'), 'the ping');
    const got = receiver.received.find((r) => r.path === '/second')!;
    expect(parseSignatureHeader(got.signature).v1).toHaveLength(2);
    expect(verifySignature(fresh, got.signature, got.body)).toBe(true);
    expect(verifySignature(old, got.signature, got.body)).toBe(true);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('the log by endpoint and status, paged; a DEAD delivery redelivered; an endpoint deleted after a confirmation', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/webhooks');
    const url = `${receiver.url}/third`;
    await createEndpoint(page, url);
    receiver.answer = (r) => (r.path === '/third' ? { status: 500 } : { status: 204 });
    await page.getByRole('button', { name: `Ping ${url} (a webhook.ping event)` }).click();
    const [{ id }] = await h.server.sql<{ id: string }>('select id from webhook_endpoint where url = $1', [url]);
    await eventually(async () => (await h.server.sql(`select status from webhook_delivery where endpoint_id = $1`, [id]))[0]?.status === 'DEAD', 'two 500s');
    // 25 more old deliveries of that endpoint, for paging: pings of a day ago, each of its own event
    // (a later delivery of the DEAD one's event would be its redelivery).
    await h.server.sql(`with ev as (insert into webhook_event (type, occurred_at, data, created_at)
        select 'webhook.ping', now() - interval '1 day', jsonb_build_object('endpoint', jsonb_build_object('id', $1::text)), now() - interval '1 day'
        from generate_series(1, 25) returning id)
      insert into webhook_delivery (endpoint_id, event_id, status, attempts, created_at, next_attempt_at, delivered_at)
      select $1::uuid, ev.id, 'DELIVERED', 1, now() - interval '1 day', null, now() - interval '1 day' from ev`, [id]);

    await page.getByRole('button', { name: `Deliveries to ${url}` }).click();
    const log = page.getByTestId('deliveries');
    await page.getByLabel('Status', { exact: true }).selectOption('DEAD');
    await eventually(async () => (await log.locator('tbody tr').count()) === 1 && (await log.locator('tr[data-status="DEAD"]').count()) === 1, 'the DEAD delivery alone');
    expect(await log.locator('tbody tr td').nth(5).textContent()).toContain('500');
    receiver.answer = () => ({ status: 204 });
    const dead = await log.locator('tbody tr').first().getAttribute('data-id');
    await page.getByRole('button', { name: `Redeliver delivery ${dead}` }).click();
    await page.getByTestId('webhooks-notice').getByText('webhook.ping will be sent again').waitFor();
    await eventually(() => receiver.received.filter((r) => r.path === '/third').length === 3, 'the redelivery at the receiver');

    await page.getByLabel('Status', { exact: true }).selectOption('');
    await eventually(async () => (await log.locator('tbody tr').count()) === 20, 'a first page of 20');
    await page.getByRole('button', { name: 'Next' }).click();
    await eventually(async () => (await log.locator('tbody tr').count()) === 7, 'the second page: 27 in all');
    await page.getByRole('button', { name: 'Previous' }).click();
    await eventually(async () => (await log.locator('tbody tr').count()) === 20, 'back to the first page');

    await page.getByRole('button', { name: `Delete ${url}` }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this endpoint?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('webhooks-notice').getByText(`Deleted: ${url}`).waitFor();
    await row(page, url).waitFor({ state: 'detached' });
    expect(await h.server.sql('select count(*)::int as n from webhook_delivery where endpoint_id = $1', [id])).toEqual([{ n: 0 }]);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('deleting the endpoint the log is filtered on sets the filter and the query back to every endpoint', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/webhooks');
    receiver.answer = () => ({ status: 204 });
    const kept = `${receiver.url}/kept`;
    const gone = `${receiver.url}/gone`;
    await createEndpoint(page, kept);
    await createEndpoint(page, gone);
    await page.getByRole('button', { name: `Ping ${kept} (a webhook.ping event)` }).click();
    await page.getByTestId('webhooks-notice').getByText(kept).waitFor();
    await page.getByRole('button', { name: `Ping ${gone} (a webhook.ping event)` }).click();
    await page.getByTestId('webhooks-notice').getByText(gone).waitFor();
    const log = page.getByTestId('deliveries');
    await page.getByRole('button', { name: `Deliveries to ${gone}` }).click();
    await eventually(async () => (await log.locator('tbody tr').count()) > 0 && (await log.locator('tbody tr', { hasText: kept }).count()) === 0, 'the log of the one endpoint');

    const asked: (string | null)[] = [];
    page.on('request', (r) => {
      const body = r.postDataJSON() as { operationName?: string; variables: { endpointId: string | null } } | null;
      if (new URL(r.url()).pathname === '/graphql' && body?.operationName === 'WebhookDeliveries') asked.push(body.variables.endpointId);
    });
    await page.getByRole('button', { name: `Delete ${gone}` }).click();
    await page.getByRole('alertdialog', { name: 'Delete this endpoint?' }).getByRole('button', { name: 'Delete' }).click();
    await row(page, gone).waitFor({ state: 'detached' });
    // The filter says every endpoint, and so does the query: the other endpoint's delivery is listed.
    expect(await page.getByLabel('Endpoint', { exact: true }).inputValue()).toBe('');
    await log.locator('tbody tr', { hasText: kept }).first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByText('No delivery matches.').count()).toBe(0);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((id) => id === null)).toBe(true);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('marks the event types when the server refuses none, in the group and not in the alert, in both languages', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/webhooks');
    await page.getByRole('button', { name: 'New endpoint' }).click();
    let dialog = page.getByRole('dialog', { name: 'New webhook endpoint' });
    await dialog.getByLabel('URL').fill(`${receiver.url}/no-types`);
    await dialog.getByLabel('All event types (*)').uncheck();
    await dialog.getByRole('button', { name: 'Create' }).click();
    const message = dialog.getByTestId('field-error-eventTypes');
    await message.waitFor();
    expect(await message.textContent()).toBe('The server did not accept this input. (eventTypes must name at least one event type (or "*" for every type))');
    expect(await dialog.locator('.form-alert').count()).toBe(0);
    expect(await dialog.getByRole('group', { name: 'Event types' }).locator('.field-error').count()).toBe(1);
    expect(await dialog.getByLabel('All event types (*)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate<string | null>('document.activeElement && document.activeElement.getAttribute("name")')).toBe('allTypes');
    expect(await h.axe(page)).toEqual([]);
    expect(await h.server.sql('select count(*)::int as n from webhook_endpoint where url like $1', ['%/no-types'])).toEqual([{ n: 0 }]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByTestId('language-switch').selectOption('zh-CN');
    await page.getByRole('button', { name: '新建端点' }).click();
    dialog = page.getByRole('dialog', { name: '新建 Webhook 端点' });
    await dialog.getByLabel('URL').fill(`${receiver.url}/no-types`);
    await dialog.getByLabel('全部事件类型（*）').uncheck();
    await dialog.getByRole('button', { name: '创建' }).click();
    await dialog.getByRole('group', { name: '事件类型' }).getByTestId('field-error-eventTypes').getByText('服务器不接受此输入。（eventTypes must name').waitFor();
    expect(await dialog.locator('.form-alert').count()).toBe(0);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a create whose answer was lost, sent again with the URL corrected: the operator is told the first one was created (and is listed), and the next Create adds the second', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/webhooks');
    await page.getByTestId('endpoints').or(page.getByText('No endpoint yet: create one to receive events.')).first().waitFor();
    const first = `${receiver.url}/lost-answer-typo`;
    const fixed = `${receiver.url}/lost-answer-fixed`;
    const lost = await loseAnswers(page, 'CreateWebhookEndpoint');
    await page.getByRole('button', { name: 'New endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'New webhook endpoint' });
    await dialog.getByLabel('URL').fill(first);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByText('No answer came from the server: the change may have been saved.').waitFor();
    await row(page, first).waitFor(); // the list, read again, shows it
    await dialog.getByLabel('URL').fill(fixed);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByText('The endpoint sent before the connection failed was created, with the URL and event types sent then').waitFor();
    const urls = async () => (await h.server.sql<{ url: string }>('select url from webhook_endpoint where url like $1 order by url', [`${receiver.url}/lost-answer%`])).map((r) => r.url);
    expect(await urls()).toEqual([first]);
    await dialog.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'The signing secret, shown once' });
    expect(await shown.getByTestId('webhook-secret').inputValue()).toMatch(/^whsec_/);
    await shown.getByRole('button', { name: 'I have kept it' }).click();
    await row(page, fixed).waitFor();
    expect(await urls()).toEqual([fixed, first]);
    expect(lost.sent()).toBe(3);
    expect(h.pageErrors(page).filter((e) => !e.includes('net::ERR_CONNECTION_RESET'))).toEqual([]);
  });

  it('a new endpoint\'s secret whose answer comes after the operator left the page is shown on the Webhooks page next shown, or at once if they are back', async () => {
    const page = await h.open();
    await h.signIn(page);
    const nav = page.getByRole('navigation', { name: 'Console pages' });
    const shown = page.getByRole('dialog', { name: 'The signing secret, shown once' });
    /** Creates `url`, held; leaves for Imports; `meanwhile`; releases it and waits for its answer. */
    const createAndLeave = async (url: string, meanwhile: () => Promise<void>) => {
      await h.goto(page, '/webhooks');
      await page.getByRole('button', { name: 'New endpoint' }).waitFor();
      const held = await holdOperation(page, 'CreateWebhookEndpoint');
      await page.getByRole('button', { name: 'New endpoint' }).click();
      const dialog = page.getByRole('dialog', { name: 'New webhook endpoint' });
      await dialog.getByLabel('URL').fill(url);
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.getByRole('button', { name: 'Working…' }).waitFor();
      await page.keyboard.press('Escape');
      await nav.getByRole('link', { name: 'Imports', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Imports' }).waitFor();
      await meanwhile();
      const answered = page.waitForResponse((r) => r.request().postDataJSON()?.operationName === 'CreateWebhookEndpoint');
      held.release();
      await answered;
      await page.unroute('**/graphql');
    };
    // Answered while the operator is on Imports: shown when they come back.
    const away = `${receiver.url}/left-the-page`;
    await createAndLeave(away, async () => {});
    await nav.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await shown.getByText(away).waitFor();
    expect(await shown.getByTestId('webhook-secret').inputValue()).toMatch(/^whsec_/);
    await shown.getByRole('button', { name: 'I have kept it' }).click();
    await shown.waitFor({ state: 'detached' });
    // Answered after the operator came back (the page's list read before the endpoint was made): shown there and then.
    const back = `${receiver.url}/came-back`;
    await createAndLeave(back, async () => {
      await nav.getByRole('link', { name: 'Webhooks', exact: true }).click();
      await row(page, away).waitFor(); // the list, read before the held endpoint is made
    });
    await shown.getByText(back).waitFor();
    await shown.getByRole('button', { name: 'I have kept it' }).click();
    await row(page, back).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/webhooks');
    await page.getByRole('heading', { level: 1, name: 'Webhook 推送' }).waitFor();
    await page.getByRole('button', { name: '新建端点' }).waitFor();
    await page.getByRole('heading', { level: 2, name: '投递日志' }).waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
  });
});
