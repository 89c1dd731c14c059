import {
  DEFAULT_RETRY_DELAYS_MS,
  EnvReader,
  PARTICIPANT_NAMES,
  defaultPortOf,
  isParticipantName,
  parseStoreUrl,
  type LogLevel,
  type ParticipantName,
} from '@sagaflow/contracts';
import { DEFAULT_PREFETCH } from './kit/participant.js';
import type { ParticipantConfig } from './kit/participant-service.js';
import { PARTICIPANT_MODULES } from './participant-modules.js';

/** A participant chosen by name with its configuration, checked. */
export interface ServiceConfig {
  service: ParticipantName;
  config: ParticipantConfig & { logLevel: LogLevel };
}

/**
 * Reads and checks a participant's configuration from the environment (DESIGN §8): the settings
 * every participant shares, then its own. Throws one `ConfigError` naming every bad variable, also
 * a store the participant cannot keep its data in.
 */
export function configFromEnv(service: string, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const read = new EnvReader(env);
  if (!isParticipantName(service)) {
    read.problem(`unknown participant '${service}' (one of ${PARTICIPANT_NAMES.join(', ')})`);
    read.done();
  }
  const name = service as ParticipantName;
  const module = PARTICIPANT_MODULES[name];
  const storeUrl = read.storeUrl();
  const { kind } = parseStoreUrl(storeUrl);
  if (!module.stores.includes(kind)) {
    read.problem(`${name} cannot keep its data in ${kind} (STORE_URL); it supports ${module.stores.join(', ')}`);
  }
  const base: ParticipantConfig = {
    amqpUrl: read.amqpUrl(),
    storeUrl,
    port: read.int('PORT', defaultPortOf(name), { max: 65_535 }),
    retryDelaysMs: read.intList('RETRY_DELAYS_MS', DEFAULT_RETRY_DELAYS_MS),
    retryJitter: read.retryJitter(),
    prefetch: read.int('COMMAND_PREFETCH', DEFAULT_PREFETCH, { min: 1, max: 10_000 }),
    queueType: read.queueType(),
    apiToken: read.optional('API_TOKEN'),
    otlpEndpoint:
      read.optional('OTEL_EXPORTER_OTLP_ENDPOINT') && read.url('OTEL_EXPORTER_OTLP_ENDPOINT', '', ['http', 'https']),
  };
  const logLevel = read.logLevel();
  const config = { ...module.readConfig(read, base), logLevel };
  read.done();
  return { service: name, config };
}
