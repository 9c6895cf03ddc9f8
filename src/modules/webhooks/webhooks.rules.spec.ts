import { createHmac } from 'node:crypto';
import {
  allowanceAt, allowanceCap, attemptOutcome, backoffMs, classifyAddress, deliveryBody, MAX_BACKOFF_MS, normalizeEventTypes, parseSignatureHeader, secretHint,
  msUntilTokens, secretsInForce, signatureHeader, urlProblem,
} from './webhooks.rules';

describe('the delivery body', () => {
  it('is {"id","type","occurredAt","data"} in that order, the same bytes every time', () => {
    const e = { id: 'e1', type: 'points.earned', occurredAt: new Date('2026-12-01T10:00:00.123Z'), data: { points: 125, member: { id: 'm', externalId: 'x' } } };
    const body = deliveryBody(e);
    expect(body).toBe('{"id":"e1","type":"points.earned","occurredAt":"2026-12-01T10:00:00.123Z","data":{"points":125,"member":{"id":"m","externalId":"x"}}}');
    expect(deliveryBody({ ...e })).toBe(body);
  });
});

describe('the signature', () => {
  const body = '{"id":"e1"}';
  it('is t=<unix s>,v1=<hex HMAC-SHA256(secret, "t.body")>, one v1 per secret in force', () => {
    const expected = (s: string) => createHmac('sha256', s).update(`1700000000.${body}`).digest('hex');
    expect(signatureHeader(['new'], 1700000000, body)).toBe(`t=1700000000,v1=${expected('new')}`);
    const two = signatureHeader(['new', 'old'], 1700000000, body);
    expect(two).toBe(`t=1700000000,v1=${expected('new')},v1=${expected('old')}`);
    expect(parseSignatureHeader(two)).toEqual({ t: 1700000000, v1: [expected('new'), expected('old')] });
  });

  it('signs with the previous secret only until it expires', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const e = { secret: 'new', previousSecret: 'old', previousSecretExpiresAt: new Date('2026-12-01T00:00:01Z') };
    expect(secretsInForce(e, now)).toEqual(['new', 'old']);
    expect(secretsInForce({ ...e, previousSecretExpiresAt: now }, now)).toEqual(['new']);
    expect(secretsInForce({ ...e, previousSecret: null }, now)).toEqual(['new']);
    expect(secretHint('whsec_abcdWXYZ')).toBe('WXYZ');
  });
});

describe('the retry schedule', () => {
  it('doubles from the base, half fixed and half random, capped at an hour', () => {
    expect(backoffMs(1, 10_000, 0)).toBe(5_000);
    expect(backoffMs(1, 10_000, 1)).toBe(10_000);
    expect(backoffMs(2, 10_000, 0.5)).toBe(15_000);
    expect(backoffMs(4, 10_000, 1)).toBe(80_000);
    for (let a = 1; a <= 100; a++) {
      for (const r of [0, 0.3, 0.999]) {
        const ms = backoffMs(a, 10_000, r);
        expect(ms).toBeLessThanOrEqual(MAX_BACKOFF_MS);
        expect(ms).toBeGreaterThanOrEqual(Math.min(MAX_BACKOFF_MS, 10_000 * 2 ** (a - 1)) / 2);
      }
    }
    expect(backoffMs(15, 10_000, 1)).toBe(MAX_BACKOFF_MS);
  });

  it('2xx delivers, 410 is gone, anything else retries until the last attempt, then dead', () => {
    const opts = { maxAttempts: 3, baseMs: 100, random: 1 };
    expect(attemptOutcome(200, 1, opts)).toEqual({ kind: 'DELIVERED' });
    expect(attemptOutcome(204, 3, opts)).toEqual({ kind: 'DELIVERED' });
    expect(attemptOutcome(410, 1, opts)).toEqual({ kind: 'GONE' });
    expect(attemptOutcome(500, 1, opts)).toEqual({ kind: 'RETRY', delayMs: 100 });
    expect(attemptOutcome(302, 2, opts)).toEqual({ kind: 'RETRY', delayMs: 200 });
    expect(attemptOutcome(null, 2, opts)).toEqual({ kind: 'RETRY', delayMs: 200 });
    expect(attemptOutcome(500, 3, opts)).toEqual({ kind: 'DEAD' });
    expect(attemptOutcome(null, 4, opts)).toEqual({ kind: 'DEAD' });
  });
});

describe('addresses', () => {
  it.each([
    ['8.8.8.8', 'public'], ['1.1.1.1', 'public'], ['172.32.0.1', 'public'], ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'], ['127.255.1.2', 'loopback'], ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'], ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'], ['224.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'], ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'], ['::', 'unspecified'], ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'link-local'], ['2002:c0a8:0101::1', 'private'], ['ff02::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'], ['2001:db8::1', 'reserved'],
    // Not globally reachable (IANA's special-purpose registry), or outside global unicast 2000::/3 altogether:
    ['64:ff9b:1::7f00:1', 'reserved'], ['64:ff9b:1:ffff::c0a8:101', 'reserved'], ['100::1', 'reserved'], ['100::', 'reserved'],
    ['3fff::1', 'reserved'], ['2001:2::1', 'reserved'], ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'reserved'], ['2001:10::1', 'reserved'],
    ['2001:20::1', 'reserved'], ['4000::1', 'reserved'], ['2001:4860:4860::8888', 'public'], ['2a00:1450:4001::1', 'public'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it('is null for what is not an address', () => {
    for (const s of ['example.com', '1.2.3', '1.2.3.256', '::1::2', 'gggg::1', '1:2:3:4:5:6:7:8:9', '']) expect(classifyAddress(s)).toBeNull();
  });
});

describe('endpoint URLs', () => {
  const secure = { allowInsecure: false };
  const insecure = { allowInsecure: true };
  it('production takes public https URLs only', () => {
    expect(urlProblem('https://hooks.example.com/loyalty', secure)).toBeNull();
    expect(urlProblem('https://8.8.8.8/x', secure)).toBeNull();
    expect(urlProblem('http://hooks.example.com/', secure)).toMatch(/https/);
    for (const u of ['https://127.0.0.1/', 'https://localhost:8443/', 'https://[::1]/', 'https://10.0.0.5/', 'https://169.254.169.254/latest', 'https://[fe80::1]/', 'https://[::ffff:192.168.0.1]/', 'https://0.0.0.0/']) {
      expect(urlProblem(u, secure)).toMatch(/loopback|private|link-local|unspecified/);
    }
  });

  it('development and WEBHOOK_ALLOW_INSECURE=1 take http and private addresses', () => {
    expect(urlProblem('http://127.0.0.1:9999/hook', insecure)).toBeNull();
    expect(urlProblem('http://localhost/hook', insecure)).toBeNull();
  });

  it('never takes another scheme, credentials, a fragment or a huge URL', () => {
    for (const u of ['ftp://example.com/', 'file:///etc/passwd', 'example.com', '', 'javascript:alert(1)']) expect(urlProblem(u, insecure)).toMatch(/absolute http/);
    // What the URL parser would repair is refused: the stored URL is the one called.
    for (const u of ['http:///x', 'https:///example.com/h', 'https:example.com/h', 'http:\\\\example.com\\h', ' https://example.com/', 'https://example.com/a\tb',
      'https://134744072/h', 'https://0x08080808/h', 'https://8.8.2056/h', 'https://example.com/a/../b', 'https://example.com/%2e%2e/b', 'https://example.com/h\u2028',
      'https://example.com:443/h', 'https://example.com/a b']) {
      expect(urlProblem(u, insecure)).toMatch(/written out in full/);
    }
    expect(urlProblem('https:example.com/h', insecure)).toMatch(/called: https:\/\/example\.com\/h$/);
    for (const u of ['HTTPS://Example.COM/Path', 'http://[::1]:9999/h', 'https://example.com', 'https://example.com:8443/a?b=c&d=%20', 'https://example.com./h']) {
      expect(urlProblem(u, insecure)).toBeNull();
    }
    expect(urlProblem('https://user:pw@example.com/', insecure)).toMatch(/user name/);
    expect(urlProblem('https://example.com/#x', insecure)).toMatch(/fragment/);
    expect(urlProblem(`https://example.com/${'a'.repeat(2100)}`, insecure)).toMatch(/2048/);
  });
});

describe('event types', () => {
  it('are known types or *, without duplicates; * alone stands for all', () => {
    expect(normalizeEventTypes(['tier.changed', 'points.earned', 'tier.changed'])).toEqual({ types: ['tier.changed', 'points.earned'] });
    expect(normalizeEventTypes(['*'])).toEqual({ types: ['*'] });
    expect(normalizeEventTypes(['tier.changed', '*'])).toEqual({ types: ['*'] });
    expect(normalizeEventTypes([])).toEqual({ problem: expect.stringMatching(/at least one/) });
    expect(normalizeEventTypes(['tier.changed', 'nope'])).toEqual({ problem: expect.stringMatching(/unknown event type: nope/) });
  });
});

describe('the allowance while the API needs the CPU', () => {
  it('grows at the rate, capped at a tenth of a second\'s worth (one at least), and says when it holds so many attempts', () => {
    const empty = { tokens: 0, at: 1_000 };
    expect(allowanceAt(empty, 1_050, 100)).toEqual({ tokens: 5, at: 1_050 });
    expect(allowanceAt(empty, 5_000, 100)).toEqual({ tokens: 10, at: 5_000 });
    expect(allowanceAt(empty, 5_000, 3)).toEqual({ tokens: 1, at: 5_000 });
    expect(allowanceCap(5)).toBe(1);
    expect(allowanceCap(250)).toBe(25);
    // A clock that stepped back grows nothing and keeps the later reading.
    expect(allowanceAt({ tokens: 2, at: 1_000 }, 900, 100)).toEqual({ tokens: 2, at: 1_000 });
    expect(msUntilTokens({ tokens: 0.5, at: 0 }, 100, 1)).toBe(5);
    expect(msUntilTokens({ tokens: 0.5, at: 0 }, 100, 10)).toBe(95);
    expect(msUntilTokens({ tokens: 1, at: 0 }, 100, 1)).toBe(0);
    expect(msUntilTokens({ tokens: 0, at: 0 }, 3, 1)).toBe(334);
  });
});
