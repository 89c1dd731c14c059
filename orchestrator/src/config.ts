import {
  DEFAULT_AMQP_URL,
  DEFAULT_RETRY_DELAYS_MS,
  DEFAULT_STORE_URL,
  EnvReader,
  LOG_LEVELS,
  STORE_SCHEMES,
} from '@sagaflow/contracts';
import { builtUiDir } from './ui-dir.js';

export interface OrchestratorConfig {
  amqpUrl: string;
  storeUrl: string;
  /** 0 picks a free port. */
  port: number;
  apiToken?: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** How long a step waits for its reply before the command is sent again. */
  stepTimeoutMs: number;
  /** Sends of one step's command before the saga stalls. */
  stepMaxAttempts: number;
  /** Delays of the broker-side retries of a failing reply handler. */
  retryDelaysMs: number[];
  /** Orders a client may place per minute; 0 is no limit. */
  rateLimitPerMinute: number;
  /** How many replies are handled at once. */
  prefetch: number;
  /** Built timeline viewer to serve at /ui; the checkout's `ui/dist` when it has been built. */
  uiDir?: string;
  /** The inventory service, whose catalogue `GET /products` shows. */
  inventoryUrl: string;
}

/** Reads DESIGN §8's variables; throws one error naming every bad one. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): OrchestratorConfig {
  const read = new EnvReader(env);
  const config: OrchestratorConfig = {
    amqpUrl: read.url('AMQP_URL', DEFAULT_AMQP_URL, ['amqp', 'amqps']),
    storeUrl: read.url('STORE_URL', DEFAULT_STORE_URL, STORE_SCHEMES),
    port: read.int('PORT', 8080, { max: 65535 }),
    apiToken: read.optional('API_TOKEN'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    stepTimeoutMs: read.int('STEP_TIMEOUT_MS', 10_000, { min: 50 }),
    stepMaxAttempts: read.int('STEP_MAX_ATTEMPTS', 3, { min: 1, max: 100 }),
    retryDelaysMs: read.intList('RETRY_DELAYS_MS', DEFAULT_RETRY_DELAYS_MS),
    rateLimitPerMinute: read.int('RATE_LIMIT_PER_MINUTE', 0),
    prefetch: read.int('REPLY_PREFETCH', 64, { min: 1, max: 10_000 }),
    uiDir: read.optional('UI_DIR') ?? builtUiDir(),
    inventoryUrl: read.url('INVENTORY_URL', 'http://127.0.0.1:8081', ['http', 'https']),
  };
  read.done();
  return config;
}
