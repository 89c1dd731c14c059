/**
 * @sagaflow/contracts/messaging — the runtime every service speaks through: the message bus on
 * RabbitMQ (confirmed publishes, consumers with retry and dead-letter policies), envelopes, the
 * dead-letter operations the ops CLI and the orchestrator share, and the JSON logger.
 */
export { createLogger, silentLogger, type Logger } from './logger.js';
export { serveHttp, type HttpServer, type HttpServerOptions } from './http-server.js';
export { listQueueNames, managementRequest, vhostOf, type ManagementTarget } from './management-api.js';
export { bearerTokenMatches } from './bearer-token.js';
export { runService, type RunningService, type ServiceMain } from './run-service.js';
export {
  assertValidMessage,
  checkMessage,
  childTraceparent,
  commandRouteOf,
  createMessage,
  decodeMessage,
  newTraceparent,
  routeOf,
  type Decoded,
  type MessageOptions,
  type Route,
} from './envelope.js';
export {
  ack,
  deadLetter,
  retryLater,
  type DeliveryInfo,
  type HandlerResult,
  type MessageHandler,
} from './handler-result.js';
export {
  MessageBus,
  messageProperties,
  type ConsumeOptions,
  type MessageBusOptions,
  type Subscription,
} from './message-bus.js';
export {
  DeadLetterQueues,
  deadLetterQueueNames,
  type DeadLetterQueuesOptions,
  type DeadLetter,
  type DeadLetterDetail,
  type DeadLetterListOptions,
  type ReplayFailure,
  type ReplayOptions,
  type ReplayProgress,
  type ReplaySummary,
} from './dead-letters.js';
export {
  diffJson,
  editDeadLetter,
  editMessage,
  parseAssignment,
  type DeadLetterEdit,
  type EditResult,
  type FieldChange,
} from './dead-letter-edit.js';
export {
  EventLogReader,
  type EventLogEntry,
  type EventLogInvalidEntry,
  type EventLogReadOptions,
  type EventLogStart,
} from './event-log-reader.js';
