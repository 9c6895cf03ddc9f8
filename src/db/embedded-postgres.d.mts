export function freePort(): Promise<number>;
export function startEmbeddedPostgres(opts: {
  dir: string;
  port?: number;
  persistent?: boolean;
  fast?: boolean;
  onLog?: (message: string) => void;
  /** A start that found an orphaned server in the folder (its starter died) and stopped it. */
  onNotice?: (message: string) => void;
}): Promise<{
  port: number;
  url: (db?: string) => string;
  createDatabase: (name: string) => Promise<void>;
  /** Called once if PostgreSQL exits other than by stop() (killed, crashed), with how. */
  onExit: (listener: (how: string) => void) => void;
  stop: () => Promise<void>;
}>;
/** The caller handles SIGTERM, SIGINT and SIGHUP from now on, and stops PostgreSQL itself. */
export function ownSignals(): void;
