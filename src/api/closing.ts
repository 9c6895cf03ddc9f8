import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** How the HTTP server stops: docs/decisions.md, "Stopping under load". */
export interface DrainOptions {
  /** How long a connection with no request in progress may still bring one before it is ended. */
  idleMs: number;
  /** Then every connection left is destroyed (Apollo's drain gave 10 s). */
  graceMs: number;
  /** How long the port may stay open, at most, for the connections its backlog holds (one a turn of a busy event loop). */
  acceptMs: number;
}

export const DEFAULT_DRAIN: DrainOptions = { idleMs: 1000, graceMs: 10_000, acceptMs: 3000 };

/** While stopping, the port stays open until an event loop turn brings no connection and none has come for QUIET_MS (at most acceptMs). */
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
 * backlog: clients whose requests were sent while the event loop was busy) are taken first,
 * turn by turn of the event loop until a turn brings none and none has come for QUIET_MS (at
 * most `acceptMs`): closing a port resets every connection still in its backlog. Then the
 * port stops listening (new connections are refused, which a client or load balancer safely
 * retries elsewhere); every answer from the stop on carries `Connection: close` (Node
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
  /**
   * The backlog's connections taken before the port closes: the event loop goes round (a poll
   * phase each time: Node may take one connection a turn) until a turn brings none and none has
   * come for QUIET_MS, at most `acceptMs`.
   */
  const acceptBacklog = async () => {
    const deadline = Date.now() + options.acceptMs;
    let arrived = 0;
    let last = Date.now();
    const count = () => {
      arrived++;
      last = Date.now();
    };
    server.on('connection', count);
    try {
      for (;;) {
        const before = arrived;
        await afterPoll();
        if (Date.now() >= deadline) return;
        if (arrived !== before) continue;
        if (Date.now() - last >= QUIET_MS) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      server.off('connection', count);
    }
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
