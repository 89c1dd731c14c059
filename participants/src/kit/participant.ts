import {
  Batcher,
  replyTypeOf,
  type CommandType,
  type Message,
  type PayloadOf,
  type ReplyType,
} from '@sagaflow/contracts';
import {
  childTraceparent,
  createMessage,
  deadLetter,
  type HandlerResult,
  type Logger,
  type MessageBus,
  type Subscription,
} from '@sagaflow/contracts/messaging';
import { collectAfterCommit } from './after-commit.js';
import type { CommandTracer } from './command-tracer.js';
import type { FaultInjector } from './faults.js';
import type { Execution, GroupCommit, InboxReader, ReplyOf, ReplyPayload, StoredReply } from './inbox.js';
import type { ParticipantMetrics } from './metrics.js';

/** Runs one command's effect once and returns its reply (recorded in the inbox with the effect). */
export type CommandHandler<T extends CommandType> = (command: Message<T>) => Promise<Execution<ReplyOf<T>>>;
export type CommandHandlers = { [T in CommandType]?: CommandHandler<T> };

/**
 * Runs the effects of many new commands of a batch at once, inside its group transaction, with a fixed
 * number of statements however many there are; `executions[i]` answers `commands[i]`. The commands come
 * in delivery order and each is decided as if the ones before it had run alone.
 */
export type BatchHandler = (commands: Message<CommandType>[]) => Promise<Execution<ReplyPayload>[]>;

export interface ParticipantOptions {
  /** Names the participant in logs. */
  service: string;
  bus: MessageBus;
  /** The command queues it consumes: its own, or for payment by currency one per currency. */
  queues: readonly string[];
  inbox: InboxReader;
  handlers: CommandHandlers;
  /** Runs a group's commands together; without it they run one handler call each, in the same transaction. */
  runBatch?: BatchHandler;
  faults: FaultInjector;
  metrics: ParticipantMetrics;
  logger: Logger;
  /** Commands delivered at once (unacked); also the largest group committed together. */
  prefetch?: number;
  /** Exports a span per command; none when tracing is off. */
  tracer?: CommandTracer;
}

export const DEFAULT_PREFETCH = 64;

interface QueuedCommand {
  message: Message;
  handler: CommandHandler<CommandType>;
}

/** How a command was answered: by its effect or its stored reply, a command id another type used, or a technical failure. */
type Answer =
  | { kind: 'executed'; execution: Execution<ReplyPayload> }
  | { kind: 'conflict'; storedType: CommandType }
  | { kind: 'failed'; error: unknown };

/** The answer of a command whose id is in the inbox. */
const answerFromInbox = (message: Message, stored: StoredReply): Answer =>
  stored.commandType === message.type
    ? { kind: 'executed', execution: { reply: stored.reply, duplicate: true } }
    : { kind: 'conflict', storedType: stored.commandType };

/** The answer of a command delivered in the same batch as an earlier one with its id. */
function answerAsTwin(message: Message, first: Message, answer: Answer): Answer {
  if (answer.kind !== 'executed') return answer;
  if (first.type !== message.type) return { kind: 'conflict', storedType: first.type as CommandType };
  return { kind: 'executed', execution: { reply: answer.execution.reply, duplicate: true } };
}

/**
 * Consumes a participant's command queue: answers a duplicate command from the inbox with the reply
 * it already gave, runs a new one once (effect and reply in one transaction), publishes the reply with
 * a confirm, and only then lets the bus ack. A thrown error is a technical failure: the bus retries it
 * through the delay queues, then dead-letters it.
 *
 * With a store that offers group commit, the commands delivered together (up to the prefetch) form a
 * batch: one query reads their stored replies, the new ones run in ONE transaction, and their replies
 * go out after its COMMIT. When that transaction fails, the batch runs again command by command, each
 * as it would alone, so a bad command fails (retries, dead-letters) alone.
 */
export class Participant {
  private subscriptions: Subscription[] = [];
  private readonly batcher?: Batcher<QueuedCommand, Answer>;

  constructor(private readonly options: ParticipantOptions) {
    const group = options.inbox.groupCommit;
    if (group) {
      // One batch at a time: the commands delivered while it runs form the next one. Two would share
      // products and orders, wait on each other's locks and deadlock, each costing the whole batch.
      this.batcher = new Batcher((commands) => this.answerBatch(group, commands), {
        maxSize: options.prefetch ?? DEFAULT_PREFETCH,
        maxConcurrent: 1,
      });
    }
  }

  async start(): Promise<void> {
    const { bus, queues, prefetch } = this.options;
    // The queues share the batcher: commands of every queue delivered together form one batch.
    for (const queue of queues) {
      const subscription = await bus.consume(queue, (message) => this.handle(message), {
        prefetch: prefetch ?? DEFAULT_PREFETCH,
      });
      this.subscriptions.push(subscription);
    }
  }

  /** Stops taking commands and waits for those in flight. */
  async stop(): Promise<void> {
    const subscriptions = this.subscriptions.splice(0);
    await Promise.all(subscriptions.map((s) => s.stop()));
  }

  async handle(message: Message): Promise<HandlerResult | void> {
    const { handlers, service, tracer } = this.options;
    const type = message.type as CommandType;
    const handler = handlers[type] as CommandHandler<CommandType> | undefined;
    if (!handler || message.commandId === undefined || message.sagaId === undefined) {
      return deadLetter({
        type: 'unsupported_command',
        message: `${service} does not handle '${message.type}'`,
        retryable: false,
      });
    }
    const span = tracer?.start(message);
    try {
      const result = await this.run(message, handler, span?.traceparent ?? childTraceparent(message.traceparent));
      span?.end(result.outcome, result.duplicate);
      return result.deadLetter;
    } catch (error) {
      span?.fail(error);
      throw error;
    }
  }

  /** Runs a command once (or answers a duplicate from the inbox) and publishes its reply. */
  private async run(
    message: Message,
    handler: CommandHandler<CommandType>,
    replyTraceparent: string,
  ): Promise<{ outcome: string; duplicate: boolean; deadLetter?: HandlerResult }> {
    const { metrics, logger, bus } = this.options;
    const type = message.type as CommandType;
    const commandId = message.commandId!;
    const stopTimer = metrics.duration.startTimer({ type });
    const command = { message, handler };
    const answer = this.batcher ? await this.batcher.submit(command) : await this.answerAlone(command);
    if (answer.kind === 'failed') throw answer.error;
    if (answer.kind === 'conflict') {
      const conflict = deadLetter({
        type: 'command_id_conflict',
        message: `command id '${commandId}' was already used by a '${answer.storedType}' command`,
        retryable: false,
      });
      return { outcome: 'command_id_conflict', duplicate: false, deadLetter: conflict };
    }
    const { execution } = answer;
    if (!execution.duplicate) this.options.faults.crashAfterCommit();
    const reply = createMessage(replyTypeOf(type), execution.reply as PayloadOf<ReplyType>, {
      sagaId: message.sagaId,
      commandId,
      traceparent: replyTraceparent,
    });
    await bus.publish(reply);
    stopTimer();
    metrics.commands.inc({ type, outcome: execution.reply.outcome });
    if (execution.duplicate) metrics.duplicates.inc({ type });
    // winston builds and streams a line before it drops it by level: at info this costs more than the rest.
    if (logger.isDebugEnabled()) {
      logger.debug(execution.duplicate ? 'duplicate command answered again' : 'command handled', {
        sagaId: message.sagaId,
        commandId,
        type,
        messageId: message.messageId,
        outcome: execution.reply.outcome,
        ...(execution.reply.outcome === 'failure' && { reason: execution.reply.reason.code }),
      });
    }
    return { outcome: execution.reply.outcome, duplicate: execution.duplicate };
  }

  /** A command on its own: its stored reply, else its effect in a transaction of its own (throws on failure). */
  private async answerAlone({ message, handler }: QueuedCommand): Promise<Answer> {
    const stored = await this.options.inbox.findReply(message.commandId!);
    if (stored) return answerFromInbox(message, stored);
    await this.injectFault();
    return { kind: 'executed', execution: await handler(message as Message<CommandType>) };
  }

  /**
   * A batch: one inbox query; the new commands' effects in one group transaction, in delivery order;
   * the work they left for after the commit. A command whose id came earlier in the batch is that
   * command's duplicate. A failure of the transaction fails the batch (the batcher then runs each alone).
   */
  private async answerBatch(group: GroupCommit, commands: QueuedCommand[]): Promise<Answer[]> {
    if (commands.length === 1) return [await this.answerAlone(commands[0]!)];
    const stored = await group.findReplies([...new Set(commands.map((c) => c.message.commandId!))]);
    const answers: (Answer | undefined)[] = [];
    const firstWithId = new Map<string, number>();
    const fresh: number[] = [];
    commands.forEach(({ message }, i) => {
      const id = message.commandId!;
      const reply = stored.get(id);
      if (reply) answers[i] = answerFromInbox(message, reply);
      else if (!firstWithId.has(id)) {
        firstWithId.set(id, i);
        fresh.push(i);
      }
    });
    // Before the transaction: an injected error fails its command alone, and a delay holds no connection.
    const faults = await Promise.all(
      fresh.map(() =>
        this.injectFault().then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    const runnable = fresh.filter((i, n) => {
      if (faults[n] === undefined) return true;
      answers[i] = { kind: 'failed', error: faults[n] };
      return false;
    });
    if (runnable.length > 0) {
      const { work } = await collectAfterCommit(() =>
        group.transaction(async () => {
          const executions = await this.runInGroup(runnable.map((i) => commands[i]!));
          for (const [n, execution] of executions.entries()) answers[runnable[n]!] = { kind: 'executed', execution };
        }),
      );
      for (const committed of work) {
        await Promise.resolve()
          .then(committed)
          .catch((error: unknown) => {
            this.options.logger.warn('work after a group commit failed', { error: (error as Error).message });
          });
      }
    }
    return commands.map(({ message }, i) => {
      const first = firstWithId.get(message.commandId!)!;
      return answers[i] ?? answerAsTwin(message, commands[first]!.message, answers[first]!);
    });
  }

  /** The effects of a group's new commands, inside its transaction: together where a batch handler exists. */
  private async runInGroup(commands: QueuedCommand[]): Promise<Execution<ReplyPayload>[]> {
    const { runBatch } = this.options;
    if (runBatch && commands.length > 1) {
      const executions = await runBatch(commands.map((c) => c.message as Message<CommandType>));
      if (executions.length !== commands.length)
        throw new Error(`a batch of ${commands.length} commands was answered with ${executions.length} executions`);
      return executions;
    }
    const executions: Execution<ReplyPayload>[] = [];
    for (const { message, handler } of commands) executions.push(await handler(message as Message<CommandType>));
    return executions;
  }

  private async injectFault(): Promise<void> {
    const { faults, metrics } = this.options;
    const fault = await faults.apply().catch((error: unknown) => {
      metrics.faults.inc({ mode: 'error' });
      throw error;
    });
    if (fault) metrics.faults.inc({ mode: fault });
  }
}
