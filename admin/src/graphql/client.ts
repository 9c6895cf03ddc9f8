import { cacheExchange, Client, CombinedError, fetchExchange, makeOperation, mapExchange, type Operation, type OperationResult } from '@urql/core';
import { currentSession, signOut } from '../auth/session';
import { ANSWER_MAY_BE_LOST, isUnauthenticated, UnansweredWrite } from './errors';

/**
 * Queries the console sent most recently (by key), to read again after a write whose answer was
 * lost; urql re-runs only those still shown. Bounded only against a session that never ends.
 */
const REMEMBERED_QUERIES = 1000;

/**
 * The console's one GraphQL client: POST /graphql on the server that served the console, the
 * signed-in token as a Bearer header. urql's document cache: a mutation's answer refreshes the
 * queries that show the same types (adjustPoints → the member's ledger). A token the server
 * refuses (UNAUTHENTICATED: it expired, or the secret changed) signs the operator out, back to
 * the sign-in page, which says why.
 *
 * A mutation whose answer never came (the connection failed, or a gateway answered 502 or 504:
 * the server may have written it) fails as an `UnansweredWrite`, which the forms tell as such
 * (errors.ts), and the queries shown are read again, so that the page shows whether the write
 * landed (a list with the new rule, a reward, a segment). A read again that gets no answer either
 * (the server still away) leaves the page as it was: what is shown, typed or held by a dialog (its
 * idempotency key) stays.
 */
export function createConsoleClient(url = `${window.location.origin}/graphql`): Client {
  const queries = new Map<number, Operation>();
  const rereading = new Set<number>();
  const remember = (operation: Operation) => {
    if (operation.kind !== 'query') return;
    queries.delete(operation.key);
    queries.set(operation.key, operation);
    if (queries.size > REMEMBERED_QUERIES) queries.delete(queries.keys().next().value!);
  };
  const noAnswer = (error: CombinedError | undefined): error is CombinedError => {
    const status = (error?.response as Response | undefined)?.status;
    return !!error?.networkError && !error.graphQLErrors.length && (status === undefined || ANSWER_MAY_BE_LOST.has(status));
  };
  const settle = (result: OperationResult): OperationResult => {
    const { operation, error } = result;
    if (operation.kind === 'query' && rereading.delete(operation.key) && noAnswer(error)) {
      // Read again after a lost answer, and no answer again: nothing is replaced (urql keeps the data shown).
      return { ...result, data: undefined, error: undefined };
    }
    if (operation.kind !== 'mutation' || !noAnswer(error)) return result;
    setTimeout(() => {
      const keys = [...queries.keys()];
      for (const query of queries.values()) {
        rereading.add(query.key);
        client.reexecuteOperation(makeOperation('query', query, { ...query.context, requestPolicy: 'network-only' }));
      }
      // Those no longer shown are not re-run (urql): forgotten after a while, not silenced for good.
      setTimeout(() => keys.forEach((key) => rereading.delete(key)), 60_000);
    });
    return { ...result, error: new CombinedError({ networkError: new UnansweredWrite(error.networkError!) }) };
  };
  const client: Client = new Client({
    url,
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: (): RequestInit => {
      const session = currentSession();
      const headers: Record<string, string> = session ? { authorization: `Bearer ${session.token}` } : {};
      return { headers };
    },
    exchanges: [
      cacheExchange,
      mapExchange({
        onOperation: remember,
        onResult: settle,
        onError(error) {
          if (isUnauthenticated(error) && currentSession()) signOut('expired');
        },
      }),
      fetchExchange,
    ],
  });
  return client;
}
