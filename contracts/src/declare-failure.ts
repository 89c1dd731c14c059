import { ConfigError, type QueueType } from './config.js';
import { EVENT_LOG_ARGUMENT_VARIABLES } from './event-log.js';

/**
 * What amqplib's error says when the broker refused a declaration (`406 PRECONDITION_FAILED`): the
 * argument, the vhost (a stream's fix names it), what was asked and what the queue has.
 */
const INEQUIVALENT =
  /inequivalent arg '([^']+)' for queue '[^']*' in vhost '([^']*)': received (.+) but current is (.+?)"?$/;

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
  const [, argument, , received, current] = INEQUIVALENT.exec(text) ?? [];
  // Quorum queues never carry x-max-priority: a queue that has it, where a quorum one is wanted, is classic.
  const classicPriorityQueue = argument === 'x-max-priority' && wanted === 'quorum' && received === 'none';
  const otherType =
    classicPriorityQueue ||
    (argument !== undefined && QUORUM_ONLY.includes(argument) && (received === 'none') !== (current === 'none'));
  if (otherType) {
    const existing: QueueType = classicPriorityQueue || current === 'none' ? 'classic' : 'quorum';
    return new ConfigError([
      `queue '${queue}' exists on the broker as a ${existing} queue but QUEUE_TYPE=${wanted}: ` +
        `start with QUEUE_TYPE=${existing}, or drain the Sagaflow queues and delete them so that they are declared again as ${wanted} queues`,
    ]);
  }
  if (argument === 'x-max-priority') return priorityMismatch(queue, received!, current!);
  const detail = argument === undefined ? text : `its '${argument}' is ${current}`;
  return new ConfigError([
    `queue '${queue}' exists on the broker with other arguments than this version declares (${detail}): ` +
      `drain it and delete it so that it is declared again`,
  ]);
}

/**
 * A command queue declared by a version without priorities (or with other levels). Its arguments cannot
 * change in place, and deleting it loses what it holds, so the way is: stop what publishes to it, let
 * its consumers empty it, delete it, start again.
 */
function priorityMismatch(queue: string, receivedText: string, currentText: string): ConfigError {
  // The broker writes `none`, `'2'` or `the value '2' of type 'byte'`.
  const levelOf = (text: string): string => /'(\d+)'/.exec(text)?.[1] ?? text;
  const [received, current] = [levelOf(receivedText), levelOf(currentText)];
  const how =
    current === 'none'
      ? 'without priorities (no x-max-priority), as versions before express orders declared it'
      : received === 'none'
        ? `with priorities (x-max-priority ${current}), as a newer version declares it`
        : `with x-max-priority ${current} where this version declares ${received}`;
  return new ConfigError([
    `queue '${queue}' exists on the broker ${how}: a queue's arguments cannot change in place. ` +
      `Stop the orchestrators, let the old participants empty the queue (its messages would be lost), ` +
      `delete it (rabbitmqctl delete_queue ${queue} -p <vhost>, or the management UI) and start again: ` +
      `it is declared anew`,
  ]);
}

/**
 * Turns the broker's refusal to declare the event log `stream` again into a `ConfigError`: it holds the
 * stream with another retention (or holds a queue of that name that is no stream). A stream's retention
 * cannot change on a declare and the log cannot be drained into another, so the way out is the old
 * retention, or deleting the stream: its events go, no saga does (their state is in the store).
 */
export function explainStreamDeclareFailure(error: unknown, stream: string): unknown {
  if ((error as { code?: unknown } | null)?.code !== 406) return error;
  const text = (error as Error).message;
  const [, argument, vhost, received, current] = INEQUIVALENT.exec(text) ?? [];
  const deletion = `rabbitmqctl delete_queue -p '${vhost ?? '/'}' ${stream}`;
  const variable = argument === undefined ? undefined : EVENT_LOG_ARGUMENT_VARIABLES[argument];
  if (variable !== undefined) {
    return new ConfigError([
      `stream '${stream}' exists on the broker with another retention than this start asks for (its '${argument}' is ${current}, ${variable} asks for ${received}): ` +
        `start with the ${variable} it was declared with, or delete the stream (${deletion}; the events in it are lost, no saga is) so that it is declared again`,
    ]);
  }
  const detail = argument === undefined ? text : `its '${argument}' is ${current}`;
  return new ConfigError([
    `queue '${stream}' exists on the broker but is not the event log stream this version declares (${detail}): delete it (${deletion}) so that it is declared again`,
  ]);
}

/** What RabbitMQ 3.10 says when a queue type's feature flag is off (541, on the connection). */
const FEATURE_FLAG_OFF = /of type '(?:rabbit_)?(stream|quorum)(?:_queue)?'[^]*feature flag/;

/**
 * The broker's refusal of a queue whose type needs a feature flag that is off (`stream_queue` for the
 * event log and for quorum queues' at-least-once dead-lettering): a `ConfigError` naming the flag and
 * the command that enables it; null for any other error. RabbitMQ closes the whole connection for it
 * (541), so the bus also checks the error its connection closed with.
 */
export function explainFeatureFlagOff(error: unknown): ConfigError | null {
  const text = error instanceof Error ? error.message : '';
  if (!/feature flag/i.test(text)) return null;
  const flag = `${FEATURE_FLAG_OFF.exec(text)?.[1] ?? 'stream'}_queue`;
  return new ConfigError([
    `the broker has the feature flag ${flag} off, which Sagaflow's queues need: enable it with ` +
      `'rabbitmqctl enable_feature_flag ${flag}' (on a local broker 'make broker' does it) and start again (the broker said: ${text})`,
  ]);
}
