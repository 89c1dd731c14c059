import { AsyncLocalStorage } from 'node:async_hooks';

type Work = () => Promise<void> | void;

const pending = new AsyncLocalStorage<Work[]>();

/**
 * Runs `work` once the effect the caller just ran has committed: at once for a command run alone (its
 * transaction committed before the store returned), after the COMMIT of a group transaction for one
 * run in a group, and never when the group rolls back (the command then runs again alone, and asks
 * again). For what must not happen for a write that may still roll back, such as publishing an event.
 */
export async function afterCommit(work: Work): Promise<void> {
  const queue = pending.getStore();
  if (queue) queue.push(work);
  else await work();
}

/** Runs `transaction` collecting the `afterCommit` work of everything inside; returns both. */
export async function collectAfterCommit<T>(transaction: () => Promise<T>): Promise<{ result: T; work: Work[] }> {
  const work: Work[] = [];
  const result = await pending.run(work, transaction);
  return { result, work };
}
