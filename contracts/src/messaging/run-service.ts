import { ConfigError, EXIT_BAD_USAGE, type LogLevel } from '../config.js';
import { createLogger, type Logger } from './logger.js';

export interface RunningService {
  stop(): Promise<void>;
}

export interface ServiceMain<TConfig> {
  /** The name the logs and messages carry. */
  name: string;
  /** Reads and checks the configuration; a `ConfigError` stops the process with exit code 2. */
  readConfig: () => TConfig & { logLevel: LogLevel };
  start: (config: TConfig & { logLevel: LogLevel }, logger: Logger) => Promise<RunningService>;
}

/**
 * What a service's `main.ts` does, written once: read the configuration (a bad one is one line on
 * stderr and exit code 2, as is a start refused by a `ConfigError`), start, and on SIGTERM or SIGINT stop — drain — and exit 0, or 1 when the
 * stop was unclean. A start that fails logs why and exits 1.
 */
export async function runService<TConfig>(main: ServiceMain<TConfig>): Promise<void> {
  let config: TConfig & { logLevel: LogLevel };
  try {
    config = main.readConfig();
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : (error as Error).message;
    process.stderr.write(`${main.name}: ${message}\n`);
    process.exit(error instanceof ConfigError ? EXIT_BAD_USAGE : 1);
  }
  const logger = createLogger(main.name, config.logLevel);
  let service: RunningService;
  try {
    service = await main.start(config, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      // The broker or store disagrees with the configuration (a queue of the other QUEUE_TYPE): starting
      // again would only fail again, so this is a refused configuration, not a crash.
      process.stderr.write(`${main.name}: ${error.message}\n`);
      process.exit(EXIT_BAD_USAGE);
    }
    logger.error(`${main.name} could not start`, { error: (error as Error).message });
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('draining before exit', { signal });
    service.stop().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error('unclean stop', { error: error.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
