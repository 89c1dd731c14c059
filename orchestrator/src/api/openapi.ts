import {
  ApiError,
  CreateOrderRequest,
  CreateOrderResponse,
  EditDeadLetterRequest,
  ListDeadLettersQuery,
  ListOrdersQuery,
  ListSagasQuery,
  Order,
  ReconciliationQuery,
  ReconciliationReport,
  ReplayRequest,
  SagaDefinitionGraph,
  SagaDetail,
  SagaSummary,
  type TSchema,
} from '@sagaflow/contracts';

type Method = 'get' | 'post' | 'put' | 'delete';

interface Reply {
  description: string;
  /** A component name, or an inline schema. */
  schema?: string | object;
  type?: string;
}

interface Operation {
  summary: string;
  tag: string;
  /** Needs `Authorization: Bearer $API_TOKEN` when the server has a token. */
  guarded?: boolean;
  query?: TSchema;
  body?: string;
  headers?: { name: string; description: string }[];
  responses: Record<number, Reply>;
}

const json = (value: unknown): object => JSON.parse(JSON.stringify(value));

/** Every body schema the document names, taken from the contracts: one source for check and docs. */
const COMPONENTS: Record<string, TSchema | object> = {
  CreateOrderRequest,
  CreateOrderResponse,
  Order,
  SagaSummary,
  SagaDetail,
  ReplayRequest,
  EditDeadLetterRequest,
  SagaDefinitionGraph,
  ReconciliationReport,
  ApiError,
  OrderPage: { type: 'object', properties: { items: { type: 'array', items: ref('Order') }, next: nullableCursor() } },
  SagaPage: {
    type: 'object',
    properties: { items: { type: 'array', items: ref('SagaSummary') }, next: nullableCursor() },
  },
  DeadLetterList: { type: 'object', properties: { items: { type: 'array', items: { type: 'object' } } } },
};

function ref(name: string): object {
  return { $ref: `#/components/schemas/${name}` };
}

function nullableCursor(): object {
  return { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null on the last' };
}

const ok = (description: string, schema?: string | object, type?: string): Reply => ({ description, schema, type });
const problem = (description: string): Reply => ({ description, schema: 'ApiError' });
const BAD_INPUT = { 400: problem('invalid input, with every issue in `details`') };
const MISSING = { 404: problem('no such resource') };

const sagaAction = (action: string): Operation => ({
  summary: `${action} a STALLED saga (operator action)`,
  tag: 'sagas',
  guarded: true,
  responses: { 202: ok('accepted', 'SagaSummary'), ...MISSING, 409: problem('the saga cannot do that now') },
});

/**
 * What each route does, by path and method (paths in OpenAPI form). A test compares this with the
 * routes the server really registers, both ways.
 */
export const OPERATIONS: Record<string, Partial<Record<Method, Operation>>> = {
  '/orders': {
    post: {
      summary: 'place an order: starts its saga',
      tag: 'orders',
      guarded: true,
      body: 'CreateOrderRequest',
      headers: [
        { name: 'Idempotency-Key', description: 'the same key and body answer with the same order' },
        { name: 'traceparent', description: 'W3C trace context: the saga continues this trace' },
      ],
      responses: {
        202: ok('the order is PENDING; `Location` names it', 'CreateOrderResponse'),
        ...BAD_INPUT,
        409: problem('the Idempotency-Key was used for another request'),
        413: problem('the body is larger than 64 kB'),
        415: problem('the body is not application/json'),
        422: problem('`currency_not_served`: no payment worker takes this currency (see PAYMENT_CURRENCIES)'),
        429: problem('too many orders from this client this minute; see `Retry-After`'),
      },
    },
    get: {
      summary: 'list orders, newest first',
      tag: 'orders',
      query: ListOrdersQuery,
      responses: { 200: ok('a page of orders', 'OrderPage'), ...BAD_INPUT },
    },
  },
  '/orders/{id}': {
    get: { summary: 'one order', tag: 'orders', responses: { 200: ok('the order', 'Order'), ...MISSING } },
  },
  '/orders/{id}/cancel': {
    post: {
      summary: 'cancel a CONFIRMED order: starts its cancellation saga',
      tag: 'orders',
      guarded: true,
      responses: {
        202: ok('the cancellation saga started', 'CreateOrderResponse'),
        ...MISSING,
        409: problem('the order is not CONFIRMED'),
        422: problem("`currency_not_served`: no payment worker takes the order's currency for its refund"),
      },
    },
  },
  '/sagas': {
    get: {
      summary: 'list sagas, newest first',
      tag: 'sagas',
      query: ListSagasQuery,
      responses: { 200: ok('a page of sagas', 'SagaPage'), ...BAD_INPUT },
    },
  },
  '/sagas/{id}': {
    get: {
      summary: 'a saga with its timeline',
      tag: 'sagas',
      responses: { 200: ok('the saga', 'SagaDetail'), ...MISSING },
    },
  },
  '/sagas/{id}/retry': { post: sagaAction('retry') },
  '/sagas/{id}/compensate': { post: sagaAction('compensate') },
  '/events': {
    get: {
      summary: 'Server-Sent Events: one `saga` event per saga change (filter by sagaId or orderId)',
      tag: 'sagas',
      guarded: true,
      responses: { 200: ok('an event stream', { type: 'string' }, 'text/event-stream') },
    },
  },
  '/dlq': {
    get: {
      summary: 'dead letters, in every dead-letter queue or one',
      tag: 'operations',
      guarded: true,
      query: ListDeadLettersQuery,
      responses: { 200: ok('the dead letters', 'DeadLetterList'), ...BAD_INPUT },
    },
  },
  '/dlq/{messageId}': {
    get: {
      summary: 'one dead letter with its headers and body',
      tag: 'operations',
      guarded: true,
      responses: { 200: ok('the dead letter', { type: 'object' }), ...MISSING },
    },
  },
  '/dlq/replay': {
    post: {
      summary: 'send dead letters back to where they came from',
      tag: 'operations',
      guarded: true,
      body: 'ReplayRequest',
      responses: { 200: ok('what was replayed', { type: 'object' }), ...BAD_INPUT },
    },
  },
  '/dlq/{messageId}/replay': {
    post: {
      summary: 'send one dead letter back to where it came from',
      tag: 'operations',
      guarded: true,
      responses: { 200: ok('what was replayed', { type: 'object' }), ...BAD_INPUT, ...MISSING },
    },
  },
  '/dlq/{messageId}/edit': {
    post: {
      summary: 'edit a dead letter, check it against its schema, replay it and record the change on its saga',
      tag: 'operations',
      guarded: true,
      body: 'EditDeadLetterRequest',
      responses: {
        200: ok('the edited message, its changes, and whether it was replayed', { type: 'object' }),
        400: problem('the edit is not valid (`invalid_edit`, with the reason)'),
        ...MISSING,
      },
    },
  },
  '/reconciliation': {
    get: {
      summary:
        'anomalies between orders, sagas, payments, stock and notifications: money or stock left behind, ' +
        'records of unknown orders, stalled sagas, missing notifications',
      tag: 'operations',
      guarded: true,
      query: ReconciliationQuery,
      responses: {
        200: ok('every anomaly found (none: all clear)', 'ReconciliationReport'),
        ...BAD_INPUT,
        503: problem('a participant does not answer; `details.participant` names it'),
      },
    },
  },
  '/saga-counts': {
    get: { summary: 'sagas per status', tag: 'sagas', responses: { 200: ok('counts by status', { type: 'object' }) } },
  },
  '/saga-definitions': {
    get: {
      summary: 'every saga definition as states and transitions, for drawing',
      tag: 'sagas',
      responses: {
        200: ok('the definitions', {
          type: 'object',
          properties: { items: { type: 'array', items: ref('SagaDefinitionGraph') } },
        }),
      },
    },
  },
  '/products': {
    get: {
      summary: "the inventory's catalogue, read through the orchestrator",
      tag: 'orders',
      responses: { 200: ok('the products', { type: 'object' }), 502: problem('the inventory does not answer') },
    },
  },
  '/': {
    get: { summary: 'redirects to the timeline viewer at /ui/', tag: 'service', responses: { 302: ok('to /ui/') } },
  },
  '/healthz': { get: { summary: 'liveness', tag: 'service', responses: { 200: ok('alive', { type: 'object' }) } } },
  '/readyz': {
    get: {
      summary: 'readiness: broker and store',
      tag: 'service',
      responses: { 200: ok('ready', { type: 'object' }), 503: ok('not ready', { type: 'object' }) },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics',
      tag: 'service',
      responses: { 200: ok('metrics', { type: 'string' }, 'text/plain') },
    },
  },
  '/openapi.json': {
    get: { summary: 'this document', tag: 'service', responses: { 200: ok('OpenAPI 3.1', { type: 'object' }) } },
  },
  '/docs': {
    get: {
      summary: 'this document as an interactive page',
      tag: 'service',
      responses: { 200: ok('HTML', { type: 'string' }, 'text/html') },
    },
  },
};

const TAGS = [
  { name: 'orders', description: 'placing, reading and cancelling orders' },
  { name: 'sagas', description: 'the saga behind each order, its timeline and operator actions' },
  { name: 'operations', description: 'dead letters and reconciliation' },
  { name: 'service', description: 'health, metrics and this description' },
];

function parametersOf(path: string, operation: Operation): object[] {
  const inPath = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = operation.query as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  const inQuery = Object.entries(query?.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: query?.required?.includes(name) ?? false,
    schema: json(schema),
  }));
  const headers = (operation.headers ?? []).map(({ name, description }) => ({
    name,
    in: 'header',
    required: false,
    description,
    schema: { type: 'string' },
  }));
  return [...inPath, ...inQuery, ...headers];
}

function responsesOf(replies: Record<number, Reply>, guarded: boolean): object {
  const all = guarded ? { ...replies, 401: problem('no valid `Authorization: Bearer` token') } : replies;
  return Object.fromEntries(
    Object.entries(all).map(([status, { description, schema, type }]) => [
      status,
      {
        description,
        ...(schema && {
          content: { [type ?? 'application/json']: { schema: typeof schema === 'string' ? ref(schema) : schema } },
        }),
      },
    ]),
  );
}

/** The OpenAPI 3.1 description of the orchestrator's HTTP API (DESIGN §5). */
export function openApiDocument(): object {
  const paths = Object.fromEntries(
    Object.entries(OPERATIONS).map(([path, methods]) => [
      path,
      Object.fromEntries(
        Object.entries(methods).map(([method, operation]) => {
          const parameters = parametersOf(path, operation);
          return [
            method,
            {
              summary: operation.summary,
              tags: [operation.tag],
              operationId: `${method}${path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string = '') => c.toUpperCase())}`,
              ...(parameters.length && { parameters }),
              ...(operation.body && {
                requestBody: { required: true, content: { 'application/json': { schema: ref(operation.body) } } },
              }),
              responses: responsesOf(operation.responses, operation.guarded ?? false),
              ...(operation.guarded && { security: [{ bearerAuth: [] }] }),
            },
          ];
        }),
      ),
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sagaflow orchestrator',
      version: '0.1.0',
      description:
        'Places orders and runs one saga per order over RabbitMQ. Routes marked with a lock need ' +
        '`Authorization: Bearer <API_TOKEN>` when the server has a token.',
    },
    tags: TAGS,
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, schema]) => [name, json(schema)])),
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
    },
  };
}
