import { cacheExchange, Client, fetchExchange, mapExchange } from '@urql/core';
import { currentSession, signOut } from '../auth/session';
import { isUnauthenticated } from './errors';

/**
 * The console's one GraphQL client: POST /graphql on the server that served the console, the
 * signed-in token as a Bearer header. urql's document cache: a mutation's answer refreshes the
 * queries that show the same types (adjustPoints → the member's ledger). A token the server
 * refuses (UNAUTHENTICATED: it expired, or the secret changed) signs the operator out, back to
 * the sign-in page, which says why.
 */
export function createConsoleClient(url = `${window.location.origin}/graphql`): Client {
  return new Client({
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
        onError(error) {
          if (isUnauthenticated(error) && currentSession()) signOut('expired');
        },
      }),
      fetchExchange,
    ],
  });
}
