import { SagaflowError } from './errors.js';

/** The `type` of a failure to reach the store in time: retried without spending a message's retry budget, a 503 over HTTP. */
export const STORE_UNAVAILABLE = 'store_unavailable';

/**
 * What the PostgreSQL and MongoDB drivers throw when the server does not answer or cannot be reached.
 * The drivers give these as bare errors (a message, a name, a socket code); this is the one place that
 * reads them, so that everything after it matches on `type`.
 */
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect', // pg-pool: no connection free within connectionTimeoutMillis
  'Connection terminated due to connection timeout', // pg: a new connection not up in time
  'Query read timeout', // pg: no answer within query_timeout
  'Connection terminated unexpectedly',
];
const UNAVAILABLE_NAMES = new Set(['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError']);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03']);

export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof SagaflowError) return error.type === STORE_UNAVAILABLE;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    UNAVAILABLE_NAMES.has(error.name) ||
    (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) ||
    UNAVAILABLE_MESSAGES.some((text) => error.message.startsWith(text))
  );
}

/** A driver's "store not reachable in time" as a retryable `store_unavailable` error; anything else unchanged. */
export function asStoreFailure(error: unknown): unknown {
  if (error instanceof SagaflowError || !isStoreUnavailable(error)) return error;
  return new SagaflowError(STORE_UNAVAILABLE, `the store did not answer: ${(error as Error).message}`, {
    cause: error,
  });
}

/**
 * How long a store's pool waits for a free connection, and for the answer to one statement, before it
 * gives up with `store_unavailable`: a paused or unreachable server fails requests in seconds instead of
 * holding them (and everything queued behind them) until it comes back.
 */
export const STORE_TIMEOUTS_MS = { connect: 1_500, query: 2_500 } as const;

/** How long a service starting up waits for a store that does not answer yet before it gives up. */
export const STORE_STARTUP_WAIT_MS = 20_000;

/**
 * Start-up work against a store that may still be coming up, restarting or busy (its pool's timeouts
 * are short, for the requests that must fail fast): tried again while it fails with store_unavailable,
 * pauses doubling to 2 s, for up to `forMs`; any other failure, or the last one, is thrown.
 */
export async function whileStoreStarts<T>(work: () => Promise<T>, forMs = STORE_STARTUP_WAIT_MS): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let pauseMs = 100; ; pauseMs = Math.min(pauseMs * 2, 2_000)) {
    try {
      return await work();
    } catch (error) {
      if (!isStoreUnavailable(error) || Date.now() + pauseMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

/** A pooled connection as node-postgres hands it out: `release(error)` destroys it instead of pooling it. */
export interface PooledConnection {
  query(text: string): Promise<unknown>;
  release(error?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Ends a failed transaction. A connection whose server did not answer is destroyed rather than pooled:
 * the statement still pending on it would hold up whoever took it next. Otherwise it is rolled back and
 * pooled again, unless the rollback fails too.
 */
async function releaseAfterFailure(client: PooledConnection, error: unknown): Promise<void> {
  if (isStoreUnavailable(error)) {
    client.release(error instanceof Error ? error : true);
    return;
  }
  const rollbackError = await client.query('ROLLBACK').then(
    () => undefined,
    (failure: unknown) => failure,
  );
  client.release(rollbackError === undefined ? undefined : true);
}

/**
 * Runs `work` between BEGIN and COMMIT on a connection just taken from the pool, and gives it back:
 * pooled again after a commit or a clean rollback, destroyed when the server did not answer or dropped
 * it. A server that ends the connection between two statements (a restart, an admin's terminate)
 * makes the checked-out client emit 'error', which no pool listener hears: unheard, it would end the
 * process; heard, the next statement fails, and the client is destroyed.
 */
export async function inTransaction<C extends PooledConnection, T>(
  client: C,
  work: (client: C) => Promise<T>,
): Promise<T> {
  let lost: Error | undefined;
  const onLost = (error: Error) => (lost = error);
  client.on('error', onLost);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    if (lost) client.release(lost);
    else await releaseAfterFailure(client, error);
    throw error;
  } finally {
    client.off('error', onLost);
  }
}
