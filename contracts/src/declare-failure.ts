import { ConfigError, type QueueType } from './config.js';

/** What amqplib's error says when the broker refused a declaration (`406 PRECONDITION_FAILED`). */
const INEQUIVALENT =
  /inequivalent arg '([^']+)' for queue '[^']*' in vhost '[^']*': received (.+) but current is (.+?)"?$/;

/** Arguments Sagaflow gives its queues only when they are quorum queues. */
const QUORUM_ONLY = ['x-queue-type', 'x-dead-letter-strategy', 'x-overflow', 'x-delivery-limit'];

/**
 * Turns the broker's refusal to declare `queue` into a one-line `ConfigError` saying what to do; other
 * failures pass through unchanged. A 406 is not retried: the queue stays as it is until someone acts,
 * so a service that meets one should stop (exit code 2) instead of restarting into it again. The
 * broker names the first argument that differs, which for a queue of the other type need not be
 * `x-queue-type`: one that only quorum queues carry, present on one side only, says as much.
 */
export function explainDeclareFailure(error: unknown, queue: string, wanted: QueueType): unknown {
  if ((error as { code?: unknown } | null)?.code !== 406) return error;
  const text = (error as Error).message;
  const [, argument, received, current] = INEQUIVALENT.exec(text) ?? [];
  const otherType =
    argument !== undefined && QUORUM_ONLY.includes(argument) && (received === 'none') !== (current === 'none');
  if (otherType) {
    const existing: QueueType = current === 'none' ? 'classic' : 'quorum';
    return new ConfigError([
      `queue '${queue}' exists on the broker as a ${existing} queue but QUEUE_TYPE=${wanted}: ` +
        `start with QUEUE_TYPE=${existing}, or drain the Sagaflow queues and delete them so that they are declared again as ${wanted} queues`,
    ]);
  }
  const detail = argument === undefined ? text : `its '${argument}' is ${current}`;
  return new ConfigError([
    `queue '${queue}' exists on the broker with other arguments than this version declares (${detail}): ` +
      `drain it and delete it so that it is declared again`,
  ]);
}
