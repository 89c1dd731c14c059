import { DEFAULT_EVENT_LOG_RETENTION, MESSAGES, QUEUES, sagaflowTopology } from '@sagaflow/contracts';
import {
  createLogger,
  deadLetter,
  DeadLetterQueues,
  editDeadLetter,
  MessageBus,
  serveHttp,
  type Logger,
  type Subscription,
} from '@sagaflow/contracts/messaging';
import { createApp } from './api/app.js';
import { SagaEventStream } from './api/saga-event-stream.js';
import { DEFAULT_SAGA_RETENTION_HOURS, type OrchestratorConfig } from './config.js';
import { OutboxRelay } from './engine/outbox-relay.js';
import { CurrencyRouter } from './engine/currency-router.js';
import { SagaEngine } from './engine/saga-engine.js';
import { allOf } from './engine/saga-observer.js';
import { RetentionSweeper } from './engine/retention-sweeper.js';
import { TimeoutSweeper } from './engine/timeout-sweeper.js';
import { SagaMetrics } from './metrics.js';
import { SagaTracer } from './tracing/saga-tracer.js';
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

/**
 * Starts the orchestrator: store, broker, engine, sweepers, reply consumer and HTTP API. A start that
 * fails half-way closes what it had opened, newest first, and rethrows.
 */
export async function start(
  config: OrchestratorConfig,
  log: Logger = createLogger('orchestrator', config.logLevel),
): Promise<Orchestrator> {
  // What is open so far, each with how it closes; `stop()` and a failed start both unwind it.
  const opened: { what: string; close: () => Promise<void> }[] = [];
  const unwind = async () => {
    for (const { what, close } of opened.splice(0).reverse()) {
      await close().catch((error: Error) => log.warn(`could not close the ${what}`, { error: error.message }));
    }
  };
  try {
    const store = await createSagaStore(config.storeUrl, log);
    opened.push({ what: 'store', close: () => store.close() });
    await store.init();
    const bus = await MessageBus.connect({
      url: config.amqpUrl,
      // The orchestrator publishes the saga events, so it alone declares the event log they also go to;
      // payment command queues are the payment workers' to declare: their existence says who serves what.
      topology: sagaflowTopology(config.retryDelaysMs, config.queueType, config.retryJitter, {
        eventLog: config.eventLog ?? DEFAULT_EVENT_LOG_RETENTION,
        payment: 'none',
      }),
      logger: log,
      name: 'orchestrator',
    });
    opened.push({ what: 'broker connection', close: () => bus.stop() });
    // The dead-letter tools know every queue's name, the default payment queue's too.
    const deadLetterTopology = sagaflowTopology(config.retryDelaysMs, config.queueType, config.retryJitter);
    const deadLetterOptions = {
      managementUrl: config.managementUrl,
      onWarning: (message: string) => log.warn(message),
    };
    let deadLetterQueues: Promise<DeadLetterQueues> | null = null;
    const deadLetters = () => {
      deadLetterQueues ??= DeadLetterQueues.connect(config.amqpUrl, deadLetterTopology, deadLetterOptions).catch(
        (error) => {
          deadLetterQueues = null;
          throw error;
        },
      );
      return deadLetterQueues;
    };
    opened.push({
      what: 'dead-letter connection',
      close: async () => void (await (await deadLetterQueues?.catch(() => null))?.close()),
    });

    const metrics = new SagaMetrics(store);
    const currencies = new CurrencyRouter({ queueExists: (queue) => bus.queueExists(queue) });
    const relay = new OutboxRelay(store, bus, log, { router: currencies });
    const tracer = config.otlpEndpoint ? new SagaTracer(config.otlpEndpoint, log) : undefined;
    if (tracer) opened.push({ what: 'trace export', close: () => tracer.stop() });
    const engine = new SagaEngine({
      store,
      relay,
      log,
      // Without an OTLP endpoint, nothing but the metrics sees a commit: tracing costs nothing.
      metrics: tracer ? allOf(metrics, tracer) : metrics,
      stepTimeoutMs: config.stepTimeoutMs,
      maxAttempts: config.stepMaxAttempts,
      startVersions: config.sagaVersions,
    });
    await relay.start();
    opened.push({ what: 'outbox relay', close: () => relay.stop() });
    const sweeper = new TimeoutSweeper(store, engine, log, {
      intervalMs: Math.max(25, Math.min(1_000, Math.floor(config.stepTimeoutMs / 4))),
    });
    sweeper.start();
    opened.push({ what: 'timeout sweeper', close: () => sweeper.stop() });
    const retentionHours = config.sagaRetentionHours ?? DEFAULT_SAGA_RETENTION_HOURS;
    const retention = new RetentionSweeper(store, log, { retentionMs: retentionHours * 3_600_000 });
    retention.start();
    opened.push({ what: 'retention sweeper', close: () => retention.stop() });
    const replies = await consumeReplies(bus, engine, metrics, log, config.prefetch);
    opened.push({ what: 'reply consumer', close: () => replies.stop() });

    const events = new SagaEventStream(bus, log);
    await events.start();
    const app = createApp({
      engine,
      store,
      bus,
      events,
      metrics,
      log,
      deadLetters,
      editDeadLetter: (messageId, edit, options) =>
        editDeadLetter(config.amqpUrl, deadLetterTopology, messageId, edit, { ...options, ...deadLetterOptions }),
      currencies,
      uiDir: config.uiDir,
      inventoryUrl: config.inventoryUrl,
      paymentUrl: config.paymentUrl,
      notificationUrl: config.notificationUrl,
      apiToken: config.apiToken,
      rateLimitPerMinute: config.rateLimitPerMinute,
      corsOrigins: config.corsOrigins ?? [],
      trustProxyHops: config.trustProxyHops ?? 0,
    });
    const http = await serveHttp(app, {
      port: config.port,
      isStream: (req) => req.url?.startsWith('/events') ?? false,
      endStreams: () => events.stop(),
    });
    // Stopping begins here: new requests get 503, streams end, and those in flight finish.
    opened.push({
      what: 'HTTP server',
      close: () => http.close(),
    });
    log.info('orchestrator listening', { port: http.port });

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= unwind().then(() => {
        log.info('orchestrator stopped');
      }));
    return { port: http.port, url: `http://127.0.0.1:${http.port}`, engine, store, stop };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** Replies from the participants, each applied to its saga; anything else on the queue is dead-lettered. */
function consumeReplies(
  bus: MessageBus,
  engine: SagaEngine,
  metrics: SagaMetrics,
  log: Logger,
  prefetch: number,
): Promise<Subscription> {
  return bus.consume(
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
        metrics.ignoredReplies.inc({ type: message.type });
        log.debug('reply ignored: not awaited (duplicate or late)', {
          sagaId: message.sagaId,
          commandId: message.commandId,
        });
      }
    },
    { prefetch },
  );
}
