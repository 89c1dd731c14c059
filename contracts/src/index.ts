/**
 * @sagaflow/contracts — what every Sagaflow service agrees on, free of I/O: message and HTTP schemas
 * (each one both the ajv check and the TypeScript type), the RabbitMQ topology as data, the
 * participants, failures as data and the configuration reader. It depends on typebox and ajv alone.
 *
 * The messaging runtime (bus, dead-letter operations, logger) is `@sagaflow/contracts/messaging`;
 * the test harness is `@sagaflow/contracts/testing`.
 */
export * from './schemas/common.js';
export * from './schemas/commands.js';
export * from './schemas/replies.js';
export * from './schemas/sagas.js';
export * from './schemas/events.js';
export * from './schemas/http.js';
export * from './schemas/reconciliation.js';
export {
  MESSAGES,
  COMMAND_TYPES,
  Envelope,
  isMessageType,
  replyTypeOf,
  type CommandType,
  type Message,
  type MessageSpec,
  type MessageType,
  type PayloadOf,
  type ReplyType,
} from './messages.js';
export { validator, describeIssues, type Validation, type ValidationIssue, type Validator } from './validation.js';
export { SagaflowError, toErrorInfo } from './errors.js';
export {
  STORE_TIMEOUTS_MS,
  STORE_UNAVAILABLE,
  asStoreFailure,
  isStoreUnavailable,
  inTransaction,
  whileStoreStarts,
  type PooledConnection,
} from './store-unavailable.js';
export {
  EXCHANGES,
  QUEUES,
  DEFAULT_RETRY_DELAYS_MS,
  QUORUM_DELIVERY_LIMIT,
  RETRY_BUCKETS,
  MAX_PRIORITY,
  EXPRESS_PRIORITY,
  TopologySpec,
  allLanes,
  expressQueueOf,
  expressRoutingKeyOf,
  lanesOf,
  bindingDeclarations,
  commandQueue,
  declareTopology,
  isDeadLetterQueue,
  paymentCommandQueues,
  queueDeclarations,
  deadLetterQueues,
  notADeadLetterQueue,
  dlqOf,
  pickRetryQueue,
  retryBucketsOf,
  retryQueueDelaysOf,
  retryQueueOf,
  sagaEventKey,
  sagaflowTopology,
  validateTopology,
  type BindingDeclaration,
  type DeclaringChannel,
  type QueueDeclaration,
  type SagaflowTopologyOptions,
  type StreamQueue,
  type QueueLane,
  type Topology,
  type WorkQueue,
} from './topology.js';
export {
  DEFAULT_EVENT_LOG_RETENTION,
  EVENT_LOG_STREAM,
  EVENT_LOG_VARIABLES,
  eventLogArguments,
  eventLogSegmentBytes,
  readEventLogRetention,
  type EventLogRetention,
} from './event-log.js';
export {
  PARTICIPANTS,
  PARTICIPANT_NAMES,
  commandQueueOf,
  commandsOf,
  isParticipantName,
  type ParticipantName,
  type ParticipantSpec,
} from './participants.js';
export {
  ORCHESTRATOR_PORT,
  SYSTEM_SERVICES,
  defaultPortOf,
  isSystemService,
  serviceCommandOf,
  SERVICE_NODE_FLAGS,
  type SystemService,
} from './services.js';
export {
  currencyOfQueue,
  parseCurrencies,
  paymentQueueOf,
  paymentRouteFor,
  paymentRoutingKeyOf,
  paymentRoutingKeys,
  type PaymentQueues,
  type PaymentQueuesPresent,
} from './payment-routing.js';
export { HEADERS, type DeadLetterReason } from './headers.js';
export type { Static, TSchema } from '@sinclair/typebox';
export {
  ConfigError,
  EnvReader,
  EXIT_BAD_USAGE,
  LOG_LEVELS,
  DEFAULT_AMQP_URL,
  DEFAULT_STORE_URL,
  DEFAULT_QUEUE_TYPE,
  DEFAULT_RETRY_JITTER,
  MAX_RETRY_JITTER,
  QUEUE_TYPES,
  type LogLevel,
  type QueueType,
} from './config.js';
export { parseStoreUrl, STORE_KINDS, STORE_SCHEMES, type StoreKind, type StoreLocation } from './store-url.js';
export { Batcher, type BatcherOptions } from './batcher.js';
