import { replyTypeOf, type CommandType, type Message, type PayloadOf, type ReplyType } from '@sagaflow/contracts';
import {
  childTraceparent,
  createMessage,
  deadLetter,
  type HandlerResult,
  type Logger,
  type MessageBus,
  type Subscription,
} from '@sagaflow/contracts/messaging';
import type { FaultInjector } from './faults.js';
import type { Execution, InboxReader, ReplyOf, ReplyPayload } from './inbox.js';
import type { ParticipantMetrics } from './metrics.js';

/** Runs one command's effect once and returns its reply (recorded in the inbox with the effect). */
export type CommandHandler<T extends CommandType> = (command: Message<T>) => Promise<Execution<ReplyOf<T>>>;
export type CommandHandlers = { [T in CommandType]?: CommandHandler<T> };

export interface ParticipantOptions {
  /** Names the participant in logs. */
  service: string;
  bus: MessageBus;
  queue: string;
  inbox: InboxReader;
  handlers: CommandHandlers;
  faults: FaultInjector;
  metrics: ParticipantMetrics;
  logger: Logger;
  prefetch?: number;
}

/**
 * Consumes a participant's command queue: answers a duplicate command from the inbox with the reply
 * it already gave, runs a new one once (effect and reply in one transaction), publishes the reply with
 * a confirm, and only then lets the bus ack. A thrown error is a technical failure: the bus retries it
 * through the delay queues, then dead-letters it.
 */
export class Participant {
  private subscription?: Subscription;

  constructor(private readonly options: ParticipantOptions) {}

  async start(): Promise<void> {
    const { bus, queue, prefetch } = this.options;
    this.subscription = await bus.consume(queue, (message) => this.handle(message), { prefetch: prefetch ?? 32 });
  }

  /** Stops taking commands and waits for those in flight. */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  async handle(message: Message): Promise<HandlerResult | void> {
    const { handlers, inbox, faults, metrics, logger, bus, service } = this.options;
    const type = message.type as CommandType;
    const handler = handlers[type] as CommandHandler<CommandType> | undefined;
    if (!handler || message.commandId === undefined || message.sagaId === undefined) {
      return deadLetter({
        type: 'unsupported_command',
        message: `${service} does not handle '${message.type}'`,
        retryable: false,
      });
    }
    const commandId = message.commandId;
    const context = { sagaId: message.sagaId, commandId, type, messageId: message.messageId };
    const stopTimer = metrics.duration.startTimer({ type });
    let execution: Execution<ReplyPayload>;
    const stored = await inbox.findReply(commandId);
    if (stored) {
      if (stored.commandType !== type) {
        return deadLetter({
          type: 'command_id_conflict',
          message: `command id '${commandId}' was already used by a '${stored.commandType}' command`,
          retryable: false,
        });
      }
      execution = { reply: stored.reply, duplicate: true };
    } else {
      const fault = await faults.apply().catch((error: unknown) => {
        metrics.faults.inc({ mode: 'error' });
        throw error;
      });
      if (fault) metrics.faults.inc({ mode: fault });
      execution = await handler(message as Message<CommandType>);
    }
    const reply = createMessage(replyTypeOf(type), execution.reply as PayloadOf<ReplyType>, {
      sagaId: message.sagaId,
      commandId,
      traceparent: childTraceparent(message.traceparent),
    });
    await bus.publish(reply);
    stopTimer();
    metrics.commands.inc({ type, outcome: execution.reply.outcome });
    if (execution.duplicate) metrics.duplicates.inc({ type });
    logger.info(execution.duplicate ? 'duplicate command answered again' : 'command handled', {
      ...context,
      outcome: execution.reply.outcome,
      ...(execution.reply.outcome === 'failure' && { reason: execution.reply.reason.code }),
    });
  }
}
