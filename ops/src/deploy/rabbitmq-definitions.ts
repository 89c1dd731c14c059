import {
  DEFAULT_EVENT_LOG_RETENTION,
  EXCHANGES,
  QUEUES,
  currencyOfQueue,
  expressQueueOf,
  paymentQueueOf,
  bindingDeclarations,
  sagaflowTopology,
  dlqOf,
  lanesOf,
  queueDeclarations,
  retryQueueOf,
  type QueueType,
  type Topology,
} from '@sagaflow/contracts';

/** The committed definitions file of each `QUEUE_TYPE`, under `ops/config/rabbitmq/`. */
export const definitionsFileOf = (queueType: QueueType): string =>
  queueType === 'classic' ? 'definitions.json' : `definitions.${queueType}.json`;

/**
 * The topology a deployment loads: the orchestrator's, with the event log at its default retention. An
 * orchestrator started with other `EVENT_LOG_*` values meets a stream declared otherwise and stops,
 * saying what to do (see `explainStreamDeclareFailure`).
 */
export const deploymentTopology = (queueType: QueueType): Topology =>
  sagaflowTopology(undefined, queueType, undefined, { eventLog: DEFAULT_EVENT_LOG_RETENTION });

/** The vhost Sagaflow lives in when RabbitMQ is set up from the definitions file (Compose, Kubernetes). */
export const SAGAFLOW_VHOST = 'sagaflow';

/** Who connects to RabbitMQ: the four services, the ops CLI, and a person at the management UI. */
export const BROKER_USERS = ['orchestrator', 'inventory', 'payment', 'notification', 'ops', 'admin'] as const;
export type BrokerUser = (typeof BROKER_USERS)[number];

/** The environment variable that holds a broker user's password, e.g. `RABBITMQ_PAYMENT_PASSWORD`. */
export const passwordVariableOf = (user: string): string => `RABBITMQ_${user.toUpperCase()}_PASSWORD`;

interface Access {
  /** Work queues it consumes (their express queues, retry queues and dead-letter exchange come with them). */
  consumes: string[];
  /** Exchanges it publishes to. */
  publishes: string[];
  /** Reads and republishes dead letters (the `/dlq` routes, the ops CLI). */
  replaysDeadLetters: boolean;
  /** Listens to an exchange through a private server-named queue (the orchestrator's event stream). */
  listens: boolean;
  /** Declares the whole topology when it connects, as every service's MessageBus does. */
  declaresTopology: boolean;
  /** Declares the streams too (the orchestrator: the event log), which the participants leave out. */
  declaresStreams: boolean;
  /** Reads the streams (`sagaflow-ops events tail`). */
  readsStreams: boolean;
}

const ACCESS: Record<Exclude<BrokerUser, 'admin'>, Access> = {
  orchestrator: {
    consumes: [QUEUES.replies],
    publishes: [EXCHANGES.commands, EXCHANGES.events],
    replaysDeadLetters: true,
    listens: true,
    declaresTopology: true,
    declaresStreams: true,
    readsStreams: false,
  },
  inventory: {
    consumes: [QUEUES.inventory, QUEUES.inventoryEvents],
    publishes: [EXCHANGES.replies, EXCHANGES.events],
    replaysDeadLetters: false,
    listens: false,
    declaresTopology: true,
    declaresStreams: false,
    readsStreams: false,
  },
  payment: {
    consumes: [QUEUES.payment],
    publishes: [EXCHANGES.replies],
    replaysDeadLetters: false,
    listens: false,
    declaresTopology: true,
    declaresStreams: false,
    readsStreams: false,
  },
  notification: {
    consumes: [QUEUES.notification],
    publishes: [EXCHANGES.replies],
    replaysDeadLetters: false,
    listens: false,
    declaresTopology: true,
    declaresStreams: false,
    readsStreams: false,
  },
  ops: {
    consumes: [],
    publishes: [],
    replaysDeadLetters: true,
    listens: false,
    declaresTopology: false,
    declaresStreams: false,
    readsStreams: true,
  },
};

/** Permission of a user on a vhost: regular expressions over exchange and queue names. */
export interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

/** A RabbitMQ definitions document (the `load_definitions` / `POST /api/definitions` format). */
export interface RabbitDefinitions {
  users: { name: string; password_hash: string; hashing_algorithm: string; tags: string[] }[];
  vhosts: { name: string }[];
  permissions: Permission[];
  topic_permissions: never[];
  parameters: never[];
  global_parameters: never[];
  policies: {
    vhost: string;
    name: string;
    pattern: string;
    'apply-to': string;
    definition: Record<string, unknown>;
    priority: number;
  }[];
  exchanges: {
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
  }[];
  queues: { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }[];
  bindings: {
    source: string;
    vhost: string;
    destination: string;
    destination_type: 'queue';
    routing_key: string;
    arguments: Record<string, unknown>;
  }[];
}

const escape = (name: string): string => name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
/** A regex matching exactly these names (`^$`, matching nothing usable, when there are none). */
const exactly = (patterns: string[]): string => (patterns.length ? `^(${[...new Set(patterns)].join('|')})$` : '^$');

/** The names a queue brings with it: itself and its retry queues (any delay, since RETRY_DELAYS_MS may change). */
const queueNames = (queue: string): string[] => [escape(queue), `${escape(retryQueueOf(queue, 0)).slice(0, -1)}[0-9]+`];

/**
 * The per-currency payment queues (`payment.commands.eur`, DESIGN §2), with their retry queues and
 * dead-letter queue: the payment workers declare them, so no fixed list of names can grant them.
 */
const CURRENCY_BASE = `${escape(paymentQueueOf('xxx')).slice(0, -3)}[a-z]{3}`;
/** A currency queue or its express queue (quorum, see `lanesOf`). */
const CURRENCY_QUEUE = `${CURRENCY_BASE}(${escape(expressQueueOf(''))})?`;
const CURRENCY_DLQ = `${CURRENCY_BASE}\\.dlq`;
const currencyQueueNames = [CURRENCY_QUEUE, `${CURRENCY_QUEUE}\\.retry\\.[0-9]+`, CURRENCY_DLQ];

/** The server-named queue `MessageBus.listen` declares. */
const SERVER_NAMED = 'amq\\.gen-.*';
/** Publishing to a queue by name (retry queues) goes through the default exchange. */
const DEFAULT_EXCHANGE = 'amq\\.default';

function permissionOf(user: BrokerUser, topology: Topology, vhost: string): Permission {
  if (user === 'admin') return { user, vhost, configure: '.*', write: '.*', read: '.*' };
  const access = ACCESS[user];
  const exchanges = topology.exchanges.map((e) => escape(e.name));
  const dlqs = topology.queues.map((q) => escape(dlqOf(q.name)));
  const everyQueue = topology.queues.flatMap((q) => [
    ...lanesOf(topology, q).flatMap((lane) => queueNames(lane.queue)),
    escape(dlqOf(q.name)),
  ]);
  const consumed = topology.queues
    .filter((q) => access.consumes.includes(q.name))
    .flatMap((q) => lanesOf(topology, q).map((lane) => escape(lane.queue)));
  const listening = access.listens ? [SERVER_NAMED] : [];
  const paymentQueueNames = topology.queues
    .filter((q) => q.name === QUEUES.payment)
    .flatMap((q) => lanesOf(topology, q).flatMap((lane) => queueNames(lane.queue)));
  const streams = (topology.streams ?? []).map((q) => escape(q.name));
  const declaredStreams = access.declaresStreams ? streams : [];
  // Declaring the topology binds every queue to its exchange: a bind needs write on the queue and
  // read on the exchange, so those two grant no consuming and no publishing by themselves.
  // Payment workers with PAYMENT_CURRENCIES declare and consume their currencies' queues.
  const byCurrency = access.consumes.includes(QUEUES.payment) ? currencyQueueNames : [];
  const declared = access.declaresTopology ? [...exchanges, ...everyQueue, ...byCurrency] : [];
  const configure = [...declared, ...declaredStreams, ...listening];
  const write = [
    ...(access.declaresTopology ? [...everyQueue, ...byCurrency] : []),
    ...declaredStreams,
    ...access.publishes.map(escape),
    ...(access.consumes.length ? [DEFAULT_EXCHANGE, escape(topology.deadLetterExchange)] : []),
    ...(access.replaysDeadLetters ? exchanges.filter((e) => e !== escape(topology.deadLetterExchange)) : []),
    ...listening,
  ];
  const read = [
    ...(access.declaresTopology ? exchanges : []),
    ...consumed,
    // RabbitMQ grants declaring a queue with a dead-letter exchange to a user who may read the queue;
    // the payment command queues and their retry queues are not declared ahead, so their worker must.
    ...(byCurrency.length ? [...paymentQueueNames, ...byCurrency] : []),
    ...(access.replaysDeadLetters ? [...dlqs, CURRENCY_DLQ] : []),
    ...(access.readsStreams ? streams : []),
    ...listening,
  ];
  return { user, vhost, configure: exactly(configure), write: exactly(write), read: exactly(read) };
}

/** Which user consumes each work queue; a queue nobody consumes is a mistake in this table. */
function checkEveryQueueIsConsumed(topology: Topology): void {
  const consumed = new Set(Object.values(ACCESS).flatMap((a) => a.consumes));
  const orphans = topology.queues.map((q) => q.name).filter((name) => !consumed.has(name));
  if (orphans.length) throw new Error(`no broker user consumes ${orphans.join(', ')}: add it to ACCESS`);
}

const isPaymentCommandQueue = (name: string): boolean => name === QUEUES.payment || currencyOfQueue(name) !== null;

/**
 * The definitions RabbitMQ loads at start: the vhost, Sagaflow's exchanges, queues and bindings exactly
 * as `declareTopology` declares them (so that a service's declare is a no-op, not a 406) but for the
 * payment command queues, which the payment workers declare, a policy, and
 * one user per service with only the permissions it needs. Password hashes are left empty: they come
 * from the environment when the file is rendered (`ops/config/rabbitmq/render-definitions.mjs`).
 */
export function rabbitmqDefinitions(topology: Topology, vhost = SAGAFLOW_VHOST): RabbitDefinitions {
  checkEveryQueueIsConsumed(topology);
  // That a payment command queue exists is how the orchestrator learns that a worker takes its
  // currencies (DESIGN §2): the payment workers declare them, none is declared ahead.
  const declared = { ...topology, queues: topology.queues.filter((q) => !isPaymentCommandQueue(q.name)) };
  const queue = (name: string, args: Record<string, unknown>) => ({
    name,
    vhost,
    durable: true,
    auto_delete: false,
    arguments: args,
  });
  const binding = (source: string, destination: string, routingKey: string) => ({
    source,
    vhost,
    destination,
    destination_type: 'queue' as const,
    routing_key: routingKey,
    arguments: {},
  });
  return {
    users: BROKER_USERS.map((name) => ({
      name,
      password_hash: '',
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: name === 'admin' ? ['administrator'] : [],
    })),
    vhosts: [{ name: vhost }],
    permissions: BROKER_USERS.map((user) => permissionOf(user, topology, vhost)),
    topic_permissions: [],
    parameters: [],
    global_parameters: [],
    policies: [
      {
        vhost,
        name: 'dead-letters-on-disk',
        // Dead letters wait for an operator and may pile up during an outage: keep them out of memory
        // (quorum queues ignore the mode: they keep their messages on disk anyway).
        pattern: '\\.dlq$',
        'apply-to': 'queues',
        definition: { 'queue-mode': 'lazy' },
        priority: 0,
      },
    ],
    exchanges: topology.exchanges.map((e) => ({
      name: e.name,
      vhost,
      type: e.type,
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: {},
    })),
    queues: queueDeclarations(declared).map((q) => queue(q.name, q.arguments)),
    bindings: bindingDeclarations(declared).map((b) => binding(b.exchange, b.queue, b.routingKey)),
  };
}
