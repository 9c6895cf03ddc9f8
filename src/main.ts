import 'reflect-metadata';
import pino from 'pino';
import { startApp } from './app';
import { loadConfig } from './config/env';
import { LOG_REDACT } from './ops/logging';

async function main() {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, redact: LOG_REDACT });
  const app = await startApp(config, log);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await app.stop();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  // eslint-disable-next-line no-console
  console.error(err);
  process.exit(1);
});
