import { redactQuery, redactUrl } from './logging';

describe('redactUrl', () => {
  it.each([
    ['/graphql?access_token=eyJ.x.y', '/graphql?access_token=[redacted]'],
    ['/exports/members/a.json?id_token=t&x=1', '/exports/members/a.json?id_token=[redacted]&x=1'],
    ['/imports/purchases?mode=earn', '/imports/purchases?mode=earn'],
    ['/graphql?API_KEY=k&jwt=j&Secret=s&auth=a', '/graphql?API_KEY=[redacted]&jwt=[redacted]&Secret=[redacted]&auth=[redacted]'],
    ['/graphql?access%5Ftoken=t', '/graphql?access%5Ftoken=[redacted]'],
    ['/graphql?%E0%A4%A=t&flag', '/graphql?%E0%A4%A=t&flag'],
    ['/healthz', '/healthz'],
  ])('%s', (url, logged) => expect(redactUrl(url)).toBe(logged));
});

it('redactQuery replaces credential parameters of a parsed query', () => {
  expect(redactQuery({ access_token: 'x', mode: 'earn' })).toEqual({ access_token: '[redacted]', mode: 'earn' });
  expect(redactQuery(undefined)).toBeUndefined();
});
