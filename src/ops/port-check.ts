import { createServer } from 'node:net';

/**
 * Fails fast when the HTTP port cannot be had: tries it the way the server will (all
 * addresses) and lets it go at once. Without it a taken port was found only at `listen`, after
 * PostgreSQL had started, the migrations had run and a first start had loaded the demo (a
 * minute on a small machine), and its one line came after the log of all that. A port taken in
 * the moment between the check and `listen` still fails there, as before. 0 (any free port)
 * cannot be taken.
 */
export function assertPortAvailable(port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'address already in use by another process: stop it, or set PORT to another port'
        : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges): set PORT to 1024 or above'
          : err.message;
      reject(new Error(`PORT ${port} cannot be used: ${why}`));
    });
    probe.listen(port, () => probe.close(() => resolve()));
  });
}
