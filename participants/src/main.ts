import type { ParticipantName } from '@sagaflow/contracts';
import { runService } from '@sagaflow/contracts/messaging';
import { configFromEnv, startService } from './index.js';

const service = process.argv[2] ?? '';

await runService({
  name: service || 'participant',
  // Refuses an unknown participant, so that `service` names one once the configuration is read.
  readConfig: () => configFromEnv(service).config,
  start: (config, logger) => startService({ service: service as ParticipantName, config: { ...config, logger } }),
});
