/**
 * @sagaflow/contracts/testing — helpers for integration tests: a private RabbitMQ vhost and a private
 * PostgreSQL schema per test, waiting for a condition with a deadline, and the services as real
 * processes for system tests.
 */
export {
  createTestVhost,
  closeVhostConnections,
  ensureFeatureFlags,
  managementApi,
  REQUIRED_FEATURE_FLAGS,
  type TestVhost,
} from './vhost.js';
export { createTestSchema, type TestSchema } from './pg-schema.js';
export { eventually, waitUntil } from './eventually.js';
export { machineFaultLock, pausePostgres, type PostgresPause } from './pause-postgres.js';
export {
  startLocalSystem,
  startTestSystem,
  findRepoRoot,
  freePort,
  fetchJson,
  type HttpResult,
  type LocalSystem,
  type LocalSystemOptions,
  type TestSystem,
} from './local-system.js';
export { machineInfo } from './machine-info.js';
export { chargeCommand } from './sample-messages.js';
export { FailingPaymentQueue } from './failing-payment-queue.js';
export {
  awaitPoisonDeadLettered,
  publishPoisonMessages,
  type PoisonKind,
  type PoisonMessage,
  type PoisonOutcome,
} from './poison-messages.js';
export { Duplicator, DUPLICATE_HEADER, type DuplicatorOptions } from './duplicator.js';
export { ioModuleLoadedBy, IO_PACKAGES } from './module-purity.js';
export { CHROMIUM_FLAGS, CHROMIUM_PATH } from './chromium.js';
export { cpuMsOf, HttpFailure, requestJson } from './load-client.js';
export { parseBenchArgs } from './bench-args.js';
