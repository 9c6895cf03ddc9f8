import { cacheExchange, Client, CombinedError, fetchExchange, makeOperation, mapExchange, type Operation, type OperationResult } from '@urql/core';
import { currentSession, signOut } from '../auth/session';
import { isUnauthenticated, UnansweredWrite } from './errors';

/** Queries the console sent most recently (by key), to read again after a write whose answer was lost. */
const REMEMBERED_QUERIES = 200;

/**
 * The console's one GraphQL client: POST /graphql on the server that served the console, the
 * signed-in token as a Bearer header. urql's document cache: a mutation's answer refreshes the
 * queries that show the same types (adjustPoints → the member's ledger). A token the server
 * refuses (UNAUTHENTICATED: it expired, or the secret changed) signs the operator out, back to
 * the sign-in page, which says why.
 *
 * A mutation whose answer never came (the connection failed: the server may have written it)
 * fails as an `UnansweredWrite`, which the forms tell as such (errors.ts), and the queries shown
 * are read again from the server, so that the page shows whether the write landed (a list with
 * the new rule, a reward, a segment). urql re-runs only the queries still shown.
 */
export function createConsoleClient(url = `${window.location.origin}/graphql`): Client {
  const queries = new Map<number, Operation>();
  const remember = (operation: Operation) => {
    if (operation.kind !== 'query') return;
    queries.delete(operation.key);
    queries.set(operation.key, operation);
    if (queries.size > REMEMBERED_QUERIES) queries.delete(queries.keys().next().value!);
  };
  const unanswered = (result: OperationResult): OperationResult => {
    const error = result.error;
    if (result.operation.kind !== 'mutation' || !error?.networkError || error.graphQLErrors.length || error.response) return result;
    setTimeout(() => {
      for (const query of queries.values()) client.reexecuteOperation(makeOperation('query', query, { ...query.context, requestPolicy: 'network-only' }));
    });
    return { ...result, error: new CombinedError({ networkError: new UnansweredWrite(error.networkError) }) };
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
        onResult: unanswered,
        onError(error) {
          if (isUnauthenticated(error) && currentSession()) signOut('expired');
        },
      }),
      fetchExchange,
    ],
  });
  return client;
}
