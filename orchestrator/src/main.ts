#!/usr/bin/env node
import { createLogger } from '@sagaflow/contracts/messaging';
import { readConfig } from './config.js';
import { start } from './orchestrator.js';

const log = createLogger('orchestrator', process.env.LOG_LEVEL);
try {
  const config = readConfig();
  const orchestrator = await start(config, createLogger('orchestrator', config.logLevel));
  const shutdown = (signal: string) => {
    log.info('stopping', { signal });
    orchestrator.stop().then(
      () => process.exit(0),
      (error: Error) => {
        log.error('unclean stop', { error: error.message });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  log.error('orchestrator failed to start', { error: (error as Error).message });
  process.exit(1);
}
