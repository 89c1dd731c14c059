import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  deadLetter,
  DeadLetterQueues,
  editDeadLetter,
  MessageBus,
  MESSAGES,
  QUEUES,
  sagaflowTopology,
  type Logger,
  type Subscription,
} from '@sagaflow/contracts';
import { createApp } from './api/app.js';
import { SagaEventStream } from './api/saga-event-stream.js';
import type { OrchestratorConfig } from './config.js';
import { OutboxRelay } from './engine/outbox-relay.js';
import { SagaEngine } from './engine/saga-engine.js';
import { TimeoutSweeper } from './engine/timeout-sweeper.js';
import { SagaMetrics } from './metrics.js';
import { createSagaStore } from './store/create-saga-store.js';
import type { SagaStore } from './store/saga-store.js';

export interface Orchestrator {
  port: number;
  url: string;
  engine: SagaEngine;
  store: SagaStore;
  /** Stops taking requests and replies, lets in-flight work finish, then closes everything. */
  stop(): Promise<void>;
}

/** Starts the orchestrator: store, broker, engine, sweepers, reply consumer and HTTP API. */
export async function start(
  config: OrchestratorConfig,
  log: Logger = createLogger('orchestrator', config.logLevel),
): Promise<Orchestrator> {
  const store = createSagaStore(config.storeUrl, log);
  await store.init();
  const bus = await MessageBus.connect({
    url: config.amqpUrl,
    topology: sagaflowTopology(config.retryDelaysMs),
    logger: log,
    name: 'orchestrator',
  }).catch(async (error) => {
    await store.close();
    throw error;
  });
  const metrics = new SagaMetrics(store);
  const relay = new OutboxRelay(store, bus, log);
  const engine = new SagaEngine({
    store,
    relay,
    log,
    metrics,
    stepTimeoutMs: config.stepTimeoutMs,
    maxAttempts: config.stepMaxAttempts,
  });
  const sweeper = new TimeoutSweeper(store, engine, log, {
    intervalMs: Math.max(25, Math.min(1_000, Math.floor(config.stepTimeoutMs / 4))),
  });
  const events = new SagaEventStream(bus, log);
  await events.start();

  const replies: Subscription = await bus.consume(
    QUEUES.replies,
    async (message) => {
      if (MESSAGES[message.type].kind !== 'reply') {
        return deadLetter({
          type: 'not_a_reply',
          message: `'${message.type}' does not belong on the reply queue`,
          retryable: false,
        });
      }
      const result = await engine.handleReply(message);
      if (result.outcome === 'not_found') {
        return deadLetter({ type: 'unknown_saga', message: `no saga '${message.sagaId}'`, retryable: false });
      }
      if (result.outcome === 'unchanged') {
        log.debug('reply ignored: not awaited (duplicate or late)', {
          sagaId: message.sagaId,
          commandId: message.commandId,
        });
      }
    },
    { prefetch: config.prefetch },
  );
  await relay.start();
  sweeper.start();

  let deadLetterQueues: Promise<DeadLetterQueues> | null = null;
  const deadLetters = () => {
    deadLetterQueues ??= DeadLetterQueues.connect(config.amqpUrl, bus.topology).catch((error) => {
      deadLetterQueues = null;
      throw error;
    });
    return deadLetterQueues;
  };
  const app = createApp({
    engine,
    store,
    bus,
    events,
    metrics,
    log,
    deadLetters,
    editDeadLetter: (messageId, edit, options) =>
      editDeadLetter(config.amqpUrl, bus.topology, messageId, edit, options),
    uiDir: config.uiDir,
    inventoryUrl: config.inventoryUrl,
    apiToken: config.apiToken,
    rateLimitPerMinute: config.rateLimitPerMinute,
  });
  const server: Server = app.listen(config.port, '0.0.0.0');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  log.info('orchestrator listening', { port });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      await events.stop();
      server.closeIdleConnections();
      await replies.stop();
      await sweeper.stop();
      await relay.stop();
      if (deadLetterQueues) await (await deadLetterQueues.catch(() => null))?.close();
      await bus.stop();
      await store.close();
      await closed;
      log.info('orchestrator stopped');
    })());

  return { port, url: `http://127.0.0.1:${port}`, engine, store, stop };
}
