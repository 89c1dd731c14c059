import {
  DEFAULT_RETRY_DELAYS_MS,
  EnvReader,
  ORCHESTRATOR_PORT,
  readEventLogRetention,
  type EventLogRetention,
  type LogLevel,
  type QueueType,
  type SagaType,
} from '@sagaflow/contracts';
import { builtUiDir } from './ui-dir.js';

export interface OrchestratorConfig {
  amqpUrl: string;
  /**
   * `RABBITMQ_MANAGEMENT_URL`: the management API whose queue list names the per-currency payment
   * queues' dead letters (`GET /dlq`); port 15672 of the AMQP host when unset.
   */
  managementUrl?: string;
  storeUrl: string;
  /** 0 picks a free port. */
  port: number;
  apiToken?: string;
  logLevel: LogLevel;
  /** How long a step waits for its reply before the command is sent again. */
  stepTimeoutMs: number;
  /** Sends of one step's command before the saga stalls. */
  stepMaxAttempts: number;
  /** Delays of the broker-side retries of a failing reply handler. */
  retryDelaysMs: number[];
  /** `RETRY_JITTER`: each retry delay spread by ± this fraction; the default when unset. */
  retryJitter?: number;
  /** `QUEUE_TYPE`: how the topology's queues are declared; classic when unset. */
  queueType?: QueueType;
  /** Orders a client may place per minute; 0 is no limit. */
  rateLimitPerMinute: number;
  /** How many replies are handled at once. */
  prefetch: number;
  /** The version new sagas start on, by type, when not the latest: set by tests that pin one. */
  sagaVersions?: Partial<Record<SagaType, number>>;
  /** Built timeline viewer to serve at /ui; the checkout's `ui/dist` when it has been built. */
  uiDir?: string;
  /** Browser origins allowed to call the API from other sites; none by default. */
  corsOrigins?: string[];
  /**
   * Proxies in front of the server (a load balancer, an ingress) whose `X-Forwarded-For` is believed,
   * so that the rate limit counts the real client; 0 believes none.
   */
  trustProxyHops?: number;
  /** OTLP/HTTP collector that receives one trace per saga; unset, nothing is traced. */
  otlpEndpoint?: string;
  /** The inventory service, whose catalogue `GET /products` shows. */
  inventoryUrl: string;
  /** The payment service, whose ledger `GET /reconciliation` reads. */
  paymentUrl: string;
  /** The notification service, whose sent messages `GET /reconciliation` reads. */
  notificationUrl: string;
  /**
   * Hours after which a finished saga (COMPLETED, CANCELLED) is removed, its order kept; 0 keeps every
   * saga forever.
   */
  sagaRetentionHours?: number;
  /** `EVENT_LOG_MAX_BYTES`, `EVENT_LOG_MAX_AGE`: how much the event log stream keeps; the defaults when unset. */
  eventLog?: EventLogRetention;
}

/** A week: long enough to look into what went wrong with an order, short enough to keep the store small. */
export const DEFAULT_SAGA_RETENTION_HOURS = 168;

/** Reads DESIGN §8's variables; throws one error naming every bad one. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): OrchestratorConfig {
  const read = new EnvReader(env);
  const config: OrchestratorConfig = {
    amqpUrl: read.amqpUrl(),
    managementUrl: read.url('RABBITMQ_MANAGEMENT_URL', undefined, ['http', 'https']),
    storeUrl: read.storeUrl(),
    port: read.int('PORT', ORCHESTRATOR_PORT, { max: 65535 }),
    apiToken: read.optional('API_TOKEN'),
    logLevel: read.logLevel(),
    stepTimeoutMs: read.int('STEP_TIMEOUT_MS', 10_000, { min: 50 }),
    stepMaxAttempts: read.int('STEP_MAX_ATTEMPTS', 3, { min: 1, max: 100 }),
    retryDelaysMs: read.intList('RETRY_DELAYS_MS', DEFAULT_RETRY_DELAYS_MS),
    retryJitter: read.retryJitter(),
    queueType: read.queueType(),
    rateLimitPerMinute: read.int('RATE_LIMIT_PER_MINUTE', 0),
    prefetch: read.int('REPLY_PREFETCH', 256, { min: 1, max: 10_000 }),
    uiDir: read.optional('UI_DIR') ?? builtUiDir(),
    inventoryUrl: read.url('INVENTORY_URL', 'http://127.0.0.1:8081', ['http', 'https']),
    paymentUrl: read.url('PAYMENT_URL', 'http://127.0.0.1:8082', ['http', 'https']),
    notificationUrl: read.url('NOTIFICATION_URL', 'http://127.0.0.1:8083', ['http', 'https']),
    corsOrigins: read.origins('CORS_ORIGINS'),
    trustProxyHops: read.int('TRUST_PROXY_HOPS', 0, { max: 10 }),
    sagaRetentionHours: read.int('SAGA_RETENTION_HOURS', DEFAULT_SAGA_RETENTION_HOURS, { max: 24 * 365 * 100 }),
    eventLog: readEventLogRetention(read),
    otlpEndpoint:
      read.optional('OTEL_EXPORTER_OTLP_ENDPOINT') && read.url('OTEL_EXPORTER_OTLP_ENDPOINT', '', ['http', 'https']),
  };
  read.done();
  return config;
}
