import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** How the HTTP server stops: docs/decisions.md, "Stopping under load". */
export interface DrainOptions {
  /** How long a connection with no request in progress may still bring one before it is ended. */
  idleMs: number;
  /** Then every connection left is destroyed (Apollo's drain gave 10 s). */
  graceMs: number;
}

export const DEFAULT_DRAIN: DrainOptions = { idleMs: 1000, graceMs: 10_000 };

/** While stopping, the port stays open until no connection has come for QUIET_MS (at most idleMs). */
const QUIET_MS = 50;

/** Resolves once the event loop has been round twice: a poll phase has run since the call. */
const afterPoll = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/**
 * Stops an HTTP server without losing a request a client has already sent.
 *
 * Apollo's drain (and Node's own `server.close()`, which destroys idle keep-alive connections)
 * ended at once every connection with no request *seen* yet: a request whose bytes were on
 * their way, or waiting in the socket while the event loop was busy, was dropped, and its
 * client got ECONNRESET for a POST it had sent before the stop (no client or load balancer
 * retries that). And the answers of the requests in flight said keep-alive, so their clients
 * sent the next request on a connection the server was about to end.
 *
 * Here, once stopping: the connections the kernel already holds for the port (its listen
 * backlog: clients whose requests were sent while the event loop was busy) are taken first, an
 * event loop poll at least and until none has come for QUIET_MS (at most `idleMs`): closing a
 * port resets every connection still in its backlog. Then the port stops listening (new
 * connections are refused, which a client or load balancer safely retries elsewhere); every
 * answer from the stop on carries `Connection: close` (Node
 * ends its connection after it, and the client opens a new one for its next request); a
 * connection with nothing in progress gets `idleMs` to bring the request it may carry, and is
 * then ended; what is left after `graceMs` is destroyed. WebSockets are left to their own
 * server's close (the subscriptions' drain).
 */
export function httpDrain(server: Server, options: DrainOptions = DEFAULT_DRAIN): { stop(): Promise<void> } {
  let stopping = false;
  const inProgress = new Map<Socket, number>();
  const upgraded = new Set<Socket>();
  const endIfIdle = (socket: Socket) => {
    if (!upgraded.has(socket) && (inProgress.get(socket) ?? 0) === 0 && !socket.destroyed) socket.end();
  };
  const later = (socket: Socket) => setTimeout(() => endIfIdle(socket), options.idleMs).unref();
  server.on('connection', (socket: Socket) => {
    inProgress.set(socket, 0);
    socket.once('close', () => { inProgress.delete(socket); upgraded.delete(socket); });
    if (stopping) later(socket); // accepted just before the port closed
  });
  server.on('upgrade', (req: IncomingMessage) => upgraded.add(req.socket));
  const open = new Set<ServerResponse>();
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inProgress.set(socket, (inProgress.get(socket) ?? 0) + 1);
    if (stopping) closeAfter(res);
    else open.add(res);
    res.once('close', () => {
      open.delete(res);
      inProgress.set(socket, (inProgress.get(socket) ?? 1) - 1);
      if (stopping) later(socket); // Node ends it after a `Connection: close` answer; this is the backstop
    });
  });
  /** The backlog's connections taken (libuv accepts all it holds at each poll), then the ones still arriving until a pause. */
  const acceptBacklog = async () => {
    await afterPoll();
    await new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout;
      const done = () => {
        clearTimeout(quiet);
        clearTimeout(cap);
        server.off('connection', again);
        resolve();
      };
      const again = () => {
        clearTimeout(quiet);
        quiet = setTimeout(done, QUIET_MS);
      };
      const cap = setTimeout(done, options.idleMs);
      server.on('connection', again);
      again();
    });
  };
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const res of open) closeAfter(res);
      open.clear();
      await acceptBacklog();
      // net.Server's close: stops listening, and calls back once every connection has closed.
      // (http.Server's would also destroy the connections it thinks idle: see above.)
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      for (const socket of inProgress.keys()) later(socket);
      const hard = setTimeout(() => {
        for (const socket of inProgress.keys()) socket.destroy();
      }, options.graceMs);
      hard.unref();
      try {
        await closed;
      } finally {
        clearTimeout(hard);
        server.closeIdleConnections(); // nothing left; also clears http.Server's connection checks
      }
    },
  };
}
