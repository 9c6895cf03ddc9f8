import { databaseUnavailable } from './unavailable';

/** An error as node-postgres or MikroORM build it: a message and own properties. */
function error(message: string, props: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), props);
}

describe('databaseUnavailable', () => {
  it.each([
    ['the server restarting', error('terminating connection due to administrator command', { code: '57P01' })],
    ['the server starting up', error('the database system is starting up', { code: '57P03' })],
    ['a connection exception', error('connection failure', { code: '08006' })],
    ['a database closed to connections', error('database "loyalty" is not currently accepting connections', { code: '55000' })],
    ['too many connections', error('sorry, too many clients already', { code: '53300' })],
    ['the server down', error('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
    ['a connection that ended', error('Connection terminated unexpectedly')],
    ['a pool that cannot give a connection', error('Knex: Timeout acquiring a connection. The pool is probably full.', { name: 'KnexTimeoutError' })],
    ['a driver exception carrying the code (MikroORM copies it)', error('terminating connection due to administrator command', { name: 'DriverException', code: '57P01' })],
    ['one wrapped as a cause', new Error('cannot record the purchase', { cause: error('x', { code: 'ECONNRESET' }) })],
  ])('%s', (_what, err) => {
    expect(databaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', error('duplicate key value violates unique constraint', { code: '23505' })],
    ['a serialization failure', error('could not serialize access', { code: '40001' })],
    ['a protocol violation (too many bind parameters: a bug)', error('bind message has 70000 parameter formats but 0 parameters', { code: '08P01' })],
    ['another state error', error('cannot ALTER TABLE "x" because it has pending trigger events', { code: '55000' })],
    ['a statement timeout', error('canceling statement due to statement timeout', { code: '57014' })],
    ['a syntax error', error('syntax error at or near', { code: '42601' })],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'Connection terminated'],
    ['nothing', undefined],
  ])('not %s', (_what, err) => {
    expect(databaseUnavailable(err)).toBe(false);
  });
});
