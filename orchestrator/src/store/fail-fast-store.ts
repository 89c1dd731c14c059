import { isStoreUnavailable, SagaflowError, STORE_UNAVAILABLE } from '@sagaflow/contracts';
import { type Logger } from '@sagaflow/contracts/messaging';
import type { SagaStore } from './saga-store.js';

/** Passed through untouched: the lifecycle, and the ping that readiness and the probe need answered for real. */
const UNGUARDED = new Set<PropertyKey>(['init', 'close', 'ping']);

export interface FailFastOptions {
  logger: Logger;
  /** How often a store found unavailable is pinged until it answers again; default 250 ms. */
  probeIntervalMs?: number;
}

/**
 * The store, failing at once while it is known not to answer. Once a call fails with
 * `store_unavailable` (a pool or statement timeout), every call fails the same way without waiting
 * until a ping answers again: requests get their 503 in milliseconds instead of queueing behind
 * timeouts one after the other, and nothing piles up in memory while the server is away.
 */
export function failFast(store: SagaStore, { logger, probeIntervalMs = 250 }: FailFastOptions): SagaStore {
  let down: Error | undefined;
  let probing: Promise<void> | undefined;
  let closed = false;

  const probe = async (): Promise<void> => {
    while (!closed) {
      await new Promise((resolve) => setTimeout(resolve, probeIntervalMs).unref());
      const answered = await store.ping().then(
        () => true,
        () => false,
      );
      if (answered) {
        logger.info('store answers again', { after: down?.message });
        down = undefined;
        return;
      }
    }
  };

  const markDown = (error: unknown): void => {
    if (down) return;
    down = error as Error;
    logger.warn('store unavailable: failing fast until it answers', { error: down.message });
    probing = probe().finally(() => (probing = undefined));
  };

  const guard =
    (method: (...args: unknown[]) => Promise<unknown>) =>
    async (...args: unknown[]): Promise<unknown> => {
      if (down) {
        throw new SagaflowError(STORE_UNAVAILABLE, `the store did not answer: ${down.message}`, { cause: down });
      }
      try {
        return await method.apply(store, args);
      } catch (error) {
        if (isStoreUnavailable(error)) markDown(error);
        throw error;
      }
    };

  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'close') {
        return async () => {
          closed = true;
          await probing;
          await target.close();
        };
      }
      if (typeof value !== 'function' || UNGUARDED.has(property)) {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return guard(value as (...args: unknown[]) => Promise<unknown>);
    },
  });
}
