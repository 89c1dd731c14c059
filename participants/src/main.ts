import { createLogger } from '@sagaflow/contracts/messaging';
import { ConfigError, configFromEnv, PARTICIPANTS, startService } from './index.js';

const service = process.argv[2] ?? '';
let selected;
try {
  selected = configFromEnv(service);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : String(error));
  if (!(PARTICIPANTS as readonly string[]).includes(service)) {
    console.error(`usage: node participants/dist/src/main.js <${PARTICIPANTS.join('|')}>`);
  }
  process.exit(1);
}

const logger = createLogger(service, process.env.LOG_LEVEL || 'info');
selected.config.logger = logger;

try {
  const handle = await startService(selected);
  logger.info(`${service} listening on port ${handle.port}`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('draining before exit', { signal });
    try {
      await handle.stop();
      process.exit(0);
    } catch (error) {
      logger.error('unclean stop', { error: (error as Error).message });
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  logger.error(`${service} could not start`, { error: (error as Error).message });
  process.exit(1);
}
