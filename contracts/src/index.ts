/**
 * @sagaflow/contracts — what every Sagaflow service agrees on: message and HTTP schemas (each one
 * both the ajv check and the TypeScript type), the RabbitMQ topology as data, and the messaging kit.
 */
export * from './schemas/common.js';
export * from './schemas/commands.js';
export * from './schemas/replies.js';
export * from './schemas/sagas.js';
export * from './schemas/events.js';
export * from './schemas/http.js';
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
export { createLogger, silentLogger, type Logger } from './logger.js';
export {
  EXCHANGES,
  QUEUES,
  DEFAULT_RETRY_DELAYS_MS,
  TopologySpec,
  declareTopology,
  deadLetterQueues,
  dlqOf,
  retryQueueOf,
  sagaEventKey,
  sagaflowTopology,
  validateTopology,
  type DeclaringChannel,
  type Topology,
  type WorkQueue,
} from './messaging/topology.js';
export { HEADERS, type DeadLetterReason } from './messaging/headers.js';
export {
  assertValidMessage,
  checkMessage,
  childTraceparent,
  createMessage,
  decodeMessage,
  newTraceparent,
  routeOf,
  type Decoded,
  type MessageOptions,
} from './messaging/envelope.js';
export {
  ack,
  deadLetter,
  retryLater,
  type DeliveryInfo,
  type HandlerResult,
  type MessageHandler,
} from './messaging/handler-result.js';
export {
  MessageBus,
  messageProperties,
  type ConsumeOptions,
  type MessageBusOptions,
  type Subscription,
} from './messaging/message-bus.js';
export {
  DeadLetterQueues,
  type DeadLetter,
  type DeadLetterDetail,
  type DeadLetterListOptions,
  type ReplayFailure,
  type ReplayOptions,
  type ReplayProgress,
  type ReplaySummary,
} from './messaging/dead-letters.js';
export {
  diffJson,
  editDeadLetter,
  editMessage,
  parseAssignment,
  type DeadLetterEdit,
  type EditResult,
  type FieldChange,
} from './messaging/dead-letter-edit.js';
export type { Static, TSchema } from '@sinclair/typebox';
export { EnvReader, LOG_LEVELS, STORE_SCHEMES, DEFAULT_AMQP_URL, DEFAULT_STORE_URL } from './config.js';
