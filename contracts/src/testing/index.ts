/**
 * @sagaflow/contracts/testing — helpers for integration tests: a private RabbitMQ vhost and a private
 * PostgreSQL schema per test, and waiting for a condition with a deadline.
 */
export { createTestVhost, closeVhostConnections, managementApi, type TestVhost } from './vhost.js';
export { createTestSchema, type TestSchema } from './pg-schema.js';
export { eventually, waitUntil } from './eventually.js';
