import {
  commandQueueOf,
  sagaflowTopology,
  type ParticipantName,
  type QueueType,
  type Topology,
} from '@sagaflow/contracts';
import { MessageBus, silentLogger, type Logger, type Subscription } from '@sagaflow/contracts/messaging';
import type { Express } from 'express';
import { FaultInjector } from './faults.js';
import { CommandTracer } from './command-tracer.js';
import { createServiceApp, listen, type HttpServer } from './http-app.js';
import type { Closeable, InboxReader } from './inbox.js';
import { ParticipantMetrics } from './metrics.js';
import { Participant, type BatchHandler, type CommandHandlers } from './participant.js';

/** What every participant needs to run. */
export interface ParticipantConfig {
  amqpUrl: string;
  storeUrl: string;
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  retryDelaysMs: number[];
  /** `RETRY_JITTER`: each retry delay spread by ± this fraction; the default when unset. */
  retryJitter?: number;
  /** `QUEUE_TYPE`: how the topology's queues are declared; classic when unset. */
  queueType?: QueueType;
  /** Commands (and events) delivered at once; also the most commands committed in one transaction. */
  prefetch?: number;
  /** When set, mutating HTTP routes need `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** OTLP/HTTP collector for a span per command handled; unset, nothing is traced. */
  otlpEndpoint?: string;
  logger?: Logger;
}

export interface ServiceHandle {
  readonly port: number;
  readonly metrics: ParticipantMetrics;
  stop(): Promise<void>;
}

export interface ServiceParts {
  handlers: CommandHandlers;
  /** Runs the commands of a group commit together (stores that can); see `BatchHandler`. */
  runBatch?: BatchHandler;
  routes: (app: Express) => void;
  /** Consumers beyond the command queue (started after it, stopped with it). */
  startConsumers?: () => Promise<Subscription[]>;
}

export interface ParticipantServiceOptions {
  service: ParticipantName;
  config: ParticipantConfig;
  store: InboxReader & Closeable;
  build: (bus: MessageBus, logger: Logger) => ServiceParts;
  /**
   * The command queues it consumes and the topology that holds them; by default `<service>.commands`
   * in the topology every service but payment declares (payment declares its own queues, see
   * `sagaflowTopology`).
   */
  commands?: { queues: string[]; topology: Topology };
  /** Runs last on stop, after the store closed (for resources such as a mail transport). */
  onStopped?: () => Promise<void> | void;
}

/**
 * Wires a participant: bus, command consumer, HTTP server. `stop()` drains: HTTP first (new requests
 * get 503 while those in flight finish), then it stops consuming and waits for the commands in
 * flight, then closes the bus and the store. The store is owned from here on, also when starting
 * fails: a start that fails half-way closes what it opened.
 */
export async function startParticipantService(options: ParticipantServiceOptions): Promise<ServiceHandle> {
  const { service, config, store } = options;
  const { queues, topology } = options.commands ?? {
    queues: [commandQueueOf(service)],
    topology: sagaflowTopology(config.retryDelaysMs, config.queueType, config.retryJitter, { payment: 'none' }),
  };
  const logger = config.logger ?? silentLogger();
  const metrics = new ParticipantMetrics(service);
  const faults = new FaultInjector();
  const tracer = config.otlpEndpoint ? new CommandTracer(service, config.otlpEndpoint) : undefined;
  let bus: MessageBus | undefined;
  let http: HttpServer | undefined;
  let participant: Participant | undefined;
  const subscriptions: Subscription[] = [];
  let stopping: Promise<void> | undefined;
  let consuming = false;

  const stop = () =>
    (stopping ??= (async () => {
      // Requests first (new ones get 503 while those in flight finish), then the consumers drain.
      await http?.close();
      faults.interrupt();
      await participant?.stop();
      await Promise.allSettled(subscriptions.map((s) => s.stop()));
      await bus?.stop();
      await store.close();
      await tracer?.stop();
      await options.onStopped?.();
      logger.info('service stopped', { service });
    })());

  try {
    bus = await MessageBus.connect({
      url: config.amqpUrl,
      topology,
      logger,
      name: service,
    });
    const parts = options.build(bus, logger);
    const connected = bus;
    const ready = () => consuming && stopping === undefined && connected.connected;
    const app = createServiceApp({
      service,
      logger,
      metrics,
      faults,
      routes: parts.routes,
      ready,
      apiToken: config.apiToken,
    });
    http = await listen(app, config.port, config.host);
    participant = new Participant({
      service,
      bus,
      queues,
      inbox: store,
      handlers: parts.handlers,
      runBatch: parts.runBatch,
      faults,
      metrics,
      logger,
      prefetch: config.prefetch,
      tracer,
    });
    await participant.start();
    if (parts.startConsumers) subscriptions.push(...(await parts.startConsumers()));
    consuming = true;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  logger.info('service started', { service, port: http.port, queues });
  return { port: http.port, metrics, stop };
}
