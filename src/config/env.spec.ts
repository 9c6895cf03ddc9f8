import { availableParallelism } from 'node:os';
import { loadConfig } from './env';

describe('WORKERS and DB_POOL_MAX', () => {
  it('WORKERS: 1 unless set; auto is one per CPU; anything else must be a positive integer', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ WORKERS: '' }).workers).toBe(1);
    expect(loadConfig({ WORKERS: '3' }).workers).toBe(3);
    expect(loadConfig({ WORKERS: 'auto' }).workers).toBe(availableParallelism());
    expect(loadConfig({ WORKERS: ' 2 ' }).workers).toBe(2);
    // A count is decimal digits (README, "Environment"): 0x2, 1e1 and 2.0 were read as 2, 10 and 2.
    for (const bad of ['0', '-1', '1.5', 'two', 'AUTO', '0x2', '1e1', '2.0', '+2', '20000000000000000000']) {
      expect(() => loadConfig({ WORKERS: bad })).toThrow(`WORKERS must be a positive integer or "auto", got "${bad}"`);
    }
  });

  it('DB_POOL_MAX: 20 unless set', () => {
    expect(loadConfig({}).dbPoolMax).toBe(20);
    expect(loadConfig({ DB_POOL_MAX: '8' }).dbPoolMax).toBe(8);
    expect(() => loadConfig({ DB_POOL_MAX: '0' })).toThrow('DB_POOL_MAX must be a positive integer');
    expect(() => loadConfig({ DB_POOL_MAX: '1' })).toThrow('DB_POOL_MAX must be at least 2');
    expect(loadConfig({ DB_POOL_MAX: '2' }).dbPoolMax).toBe(2);
  });
});

describe('WEBHOOK_*', () => {
  it('defaults: 10 s timeout, 10 s backoff base, 15 attempts, 8 at once per endpoint; insecure allowed outside production only', () => {
    expect(loadConfig({}).webhooks).toEqual({ timeoutMs: 10_000, backoffMs: 10_000, maxAttempts: 15, allowInsecure: true, concurrency: 8, busyRate: 20 });
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig(prod).webhooks.allowInsecure).toBe(false);
    expect(loadConfig({ ...prod, WEBHOOK_ALLOW_INSECURE: '1' }).webhooks.allowInsecure).toBe(true);
    expect(loadConfig({ WEBHOOK_ALLOW_INSECURE: '0' }).webhooks.allowInsecure).toBe(false);
    expect(() => loadConfig({ WEBHOOK_ALLOW_INSECURE: 'yes' })).toThrow('WEBHOOK_ALLOW_INSECURE must be 1 or 0');
    expect(loadConfig({ WEBHOOK_TIMEOUT_MS: '50', WEBHOOK_BACKOFF_MS: '20', WEBHOOK_MAX_ATTEMPTS: '3' }).webhooks).toMatchObject({ timeoutMs: 50, backoffMs: 20, maxAttempts: 3 });
    expect(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow('WEBHOOK_MAX_ATTEMPTS must be a positive integer');
    // 0: never held back while the API needs the CPU.
    expect(loadConfig({ WEBHOOK_BUSY_RATE: '0' }).webhooks.busyRate).toBe(0);
    expect(loadConfig({ WEBHOOK_BUSY_RATE: '250' }).webhooks.busyRate).toBe(250);
    expect(() => loadConfig({ WEBHOOK_BUSY_RATE: '-1' })).toThrow('WEBHOOK_BUSY_RATE must be a whole number (0 or more), got "-1"');
    expect(() => loadConfig({ WEBHOOK_BUSY_RATE: 'fast' })).toThrow('WEBHOOK_BUSY_RATE must be a whole number');
  });
});

describe('PORT, SCHEDULER, TIER_EVENTS and LOG_LEVEL: an odd value is refused at once, in words', () => {
  it('PORT: 4000 unless set; 0 is any free port; a TCP port otherwise (70000 failed only at listen, after the database and the seed)', () => {
    expect(loadConfig({}).port).toBe(4000);
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '4200' }).port).toBe(4200);
    for (const bad of ['abc', '70000', '65536', '-1', '4.5', '0x10']) {
      expect(() => loadConfig({ PORT: bad })).toThrow(`PORT must be a TCP port number from 1 to 65535 (or 0: any free port), got "${bad}"`);
    }
  });

  it('NODE_ENV: production, development or test, or unset; a mistyped one is refused (NODE_ENV=prod ran development mode, its admin token printed)', () => {
    for (const ok of ['production', 'development', 'test', '', undefined]) {
      expect(() => loadConfig({ NODE_ENV: ok, JWT_SECRET: 'a-secret-of-thirty-two-characters-at-least' })).not.toThrow();
    }
    for (const bad of ['prod', 'Production', 'staging', 'dev']) {
      expect(() => loadConfig({ NODE_ENV: bad })).toThrow(`NODE_ENV must be production, development or test (or unset), got "${bad}"`);
    }
  });

  it('CORS_ORIGINS: unset or empty is none; * is any; else origins separated by commas, each exactly as a browser sends it', () => {
    expect(loadConfig({}).corsOrigins).toBeNull();
    expect(loadConfig({ CORS_ORIGINS: ' ' }).corsOrigins).toBeNull();
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    for (const bad of ['https://app.example.com/', 'app.example.com', 'https://app.example.com/shop', 'ftp://files.example.com', 'https://App.example.com', 'https://app.example.com:443']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(`CORS_ORIGINS must be * or origins such as https://app.example.com separated by commas (scheme, host and a port if any; no path or trailing slash), got "${bad}"`);
    }
  });

  it('SCHEDULER and TIER_EVENTS: on or off in any case; anything else is refused (SCHEDULER=OFF ran the jobs)', () => {
    expect(loadConfig({}).scheduler).toBe(true);
    expect(loadConfig({ SCHEDULER: '' }).scheduler).toBe(true);
    expect(loadConfig({ SCHEDULER: 'off' }).scheduler).toBe(false);
    expect(loadConfig({ SCHEDULER: 'OFF' }).scheduler).toBe(false);
    expect(loadConfig({ SCHEDULER: 'On' }).scheduler).toBe(true);
    expect(loadConfig({ TIER_EVENTS: 'Off' }).tierEvents).toBe(false);
    for (const bad of ['0', 'false', 'no', 'disabled']) {
      expect(() => loadConfig({ SCHEDULER: bad })).toThrow(`SCHEDULER must be "on" or "off", got "${bad}"`);
      expect(() => loadConfig({ TIER_EVENTS: bad })).toThrow(`TIER_EVENTS must be "on" or "off", got "${bad}"`);
    }
  });

  it('LOG_LEVEL: one of pino\'s levels, or the message names them (pino said "default level:nonsense must be included in custom levels")', () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(loadConfig({ LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(() => loadConfig({ LOG_LEVEL: 'nonsense' })).toThrow('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "nonsense"');
  });

  it('BODY_LIMIT: a size body-parser reads (100kb unless set); another value failed the start only when the routes were set up, after the database and the seed', () => {
    expect(loadConfig({}).bodyLimit).toBe('100kb');
    for (const ok of ['1mb', '250KB', '1.5mb', '2048']) expect(loadConfig({ BODY_LIMIT: ok }).bodyLimit).toBe(ok);
    for (const bad of ['lots', '10 megabytes', '-1kb']) {
      expect(() => loadConfig({ BODY_LIMIT: bad })).toThrow(`BODY_LIMIT must be a size such as 100kb or 1mb, got "${bad}"`);
    }
  });
});

describe('numbers, durations, sizes and URLs: what a setting cannot mean is refused at start, naming it', () => {
  it('a count is decimal digits: 0x10, 1e2 and a number past 2^53 are refused (they were read as 16, 100 and another number)', () => {
    expect(loadConfig({ DB_POOL_MAX: ' 16 ' }).dbPoolMax).toBe(16);
    for (const bad of ['0x10', '1e2', '20000000000000000000', '+5', '5.0']) {
      expect(() => loadConfig({ DB_POOL_MAX: bad })).toThrow(`DB_POOL_MAX must be a positive integer, got "${bad}"`);
      expect(() => loadConfig({ MAX_QUERY_COST: bad })).toThrow(`MAX_QUERY_COST must be a positive integer, got "${bad}"`);
    }
  });

  it('a duration a timer waits is at most 2^31 - 1 ms: WEBHOOK_TIMEOUT_MS=99999999999 timed every attempt out at once', () => {
    for (const name of ['WEBHOOK_TIMEOUT_MS', 'WEBHOOK_BACKOFF_MS', 'EXPORT_STALL_MS', 'IMPORT_WAIT_MS', 'KEEP_ALIVE_TIMEOUT_MS']) {
      expect(() => loadConfig({ [name]: '99999999999' })).toThrow(`${name} must be at most 2147483647 ms (about 24.8 days), got "99999999999"`);
      expect(() => loadConfig({ [name]: '10s' })).toThrow(`${name} must be a positive integer, got "10s"`);
    }
    const longest = loadConfig({ WEBHOOK_TIMEOUT_MS: '2147483647', EXPORT_STALL_MS: '2147483647', IMPORT_WAIT_MS: '2147483647' });
    expect([longest.webhooks.timeoutMs, longest.exportStallMs, longest.importWaitMs]).toEqual([2147483647, 2147483647, 2147483647]);
  });

  it('KEEP_ALIVE_TIMEOUT_MS: 65 s by default (above a load balancer\'s common 60 s), a positive integer (0 is Node\'s "never close")', () => {
    expect(loadConfig({}).keepAliveTimeoutMs).toBe(65_000);
    expect(loadConfig({ KEEP_ALIVE_TIMEOUT_MS: '620000' }).keepAliveTimeoutMs).toBe(620_000);
    expect(() => loadConfig({ KEEP_ALIVE_TIMEOUT_MS: '0' })).toThrow('KEEP_ALIVE_TIMEOUT_MS must be a positive integer, got "0"');
  });

  it('BODY_LIMIT is at least 1kb: BODY_LIMIT=0 started and answered every request 413', () => {
    for (const bad of ['0', '0kb', '1023', '0.5kb']) {
      expect(() => loadConfig({ BODY_LIMIT: bad })).toThrow(`BODY_LIMIT must be at least 1kb (smaller refuses every request as too large), got "${bad}"`);
    }
    for (const ok of ['1024', '1kb', '0.01mb']) expect(loadConfig({ BODY_LIMIT: ok }).bodyLimit).toBe(ok);
  });

  it('JWT_JWKS_URL is an http(s) URL, said by name (the start failed with "Invalid URL" alone)', () => {
    for (const bad of ['notaurl', 'ftp://idp.example/jwks', '/jwks.json']) {
      expect(() => loadConfig({ JWT_JWKS_URL: bad })).toThrow(`JWT_JWKS_URL must be an http:// or https:// URL, got "${bad}"`);
    }
    expect(loadConfig({ JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' }).jwtJwksUrl).toBe('https://idp.example/.well-known/jwks.json');
  });
});
