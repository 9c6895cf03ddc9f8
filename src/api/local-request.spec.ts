import { isLocalRequest, isLoopbackAddress, isLoopbackHost } from './local-request';

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
