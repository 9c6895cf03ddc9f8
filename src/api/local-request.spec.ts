import type { IncomingMessage } from 'node:http';
import { isLocalRequest, isLoopbackAddress, isLoopbackHost, isLoopbackRequest, requestFacts } from './local-request';

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('%s is loopback', (a) => expect(isLoopbackAddress(a)).toBe(true));
  it.each([undefined, '', '10.0.0.1', '192.168.1.5', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1', '::', '0.0.0.0', '1127.0.0.1'])('%s is not', (a) =>
    expect(isLoopbackAddress(a)).toBe(false));
});

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST:4000', '127.0.0.1', '127.0.0.1:4000', '[::1]', '[::1]:4000'])('%s is loopback', (h) => expect(isLoopbackHost(h)).toBe(true));
  it.each([undefined, '', 'evil.example', 'evil.example:4000', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.1:4000', '[::2]:4000'])('%s is not', (h) =>
    expect(isLoopbackHost(h)).toBe(false));
});

describe('isLocalRequest', () => {
  const local = { remoteAddress: '127.0.0.1', host: 'localhost:4000' };
  it('a browser on this machine asking for localhost', () => {
    expect(isLocalRequest(local)).toBe(true);
    expect(isLocalRequest({ ...local, secFetchSite: 'same-origin', origin: 'http://localhost:4000' })).toBe(true);
    expect(isLocalRequest({ ...local, secFetchSite: 'none' })).toBe(true);
  });
  it('not from another machine, even asking for localhost', () => {
    expect(isLocalRequest({ ...local, remoteAddress: '10.1.2.3' })).toBe(false);
  });
  it('not through another name (DNS rebinding)', () => {
    expect(isLocalRequest({ ...local, host: 'rebind.evil.example:4000' })).toBe(false);
  });
  it('not from another site\'s page', () => {
    expect(isLocalRequest({ ...local, secFetchSite: 'cross-site' })).toBe(false);
    expect(isLocalRequest({ ...local, secFetchSite: 'same-site' })).toBe(false);
    expect(isLocalRequest({ ...local, origin: 'https://evil.example' })).toBe(false);
    expect(isLocalRequest({ ...local, origin: 'null' })).toBe(false);
  });
});

describe('a request a proxy passed on (requestFacts)', () => {
  const req = (headers: Record<string, string | string[]>) =>
    ({ headers: { host: 'localhost:4000', ...headers }, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
  it.each<[string, Record<string, string | string[]>]>([
    ['X-Forwarded-For of another machine', { 'x-forwarded-for': '203.0.113.9' }],
    ['X-Forwarded-For through two proxies, one client elsewhere', { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' }],
    ['X-Real-IP', { 'x-real-ip': '10.0.0.7' }],
    ['Forwarded for=', { forwarded: 'for=192.0.2.60;proto=http;by=127.0.0.1' }],
    ['Forwarded for= IPv6', { forwarded: 'for="[2001:db8:cafe::17]:4711"' }],
    ['Forwarded for= obfuscated', { forwarded: 'for=_hidden' }],
    ['Forwarded without for', { forwarded: 'proto=https' }],
    ['Via', { via: '1.1 nginx' }],
    ['X-Forwarded-Host of a public name', { 'x-forwarded-host': 'loyalty.example.com' }],
  ])('is not local: %s', (_, headers) => {
    const facts = requestFacts(req(headers));
    expect(facts.proxied).toBe(true);
    expect(isLocalRequest(facts)).toBe(false);
    expect(isLoopbackRequest(facts)).toBe(false);
  });
  it.each<[string, Record<string, string | string[]>]>([
    ['no proxy header', {}],
    ['a proxy on this machine for a browser on this machine', { 'x-forwarded-for': '127.0.0.1', forwarded: 'for="[::1]:5173"', 'x-forwarded-host': 'localhost:5173' }],
  ])('is local: %s', (_, headers) => {
    const facts = requestFacts(req(headers));
    expect(facts.proxied).toBe(false);
    expect(isLocalRequest(facts)).toBe(true);
  });
});
