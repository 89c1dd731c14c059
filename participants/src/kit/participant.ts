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
import type { CommandTracer } from './command-tracer.js';
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
  /** Exports a span per command; none when tracing is off. */
  tracer?: CommandTracer;
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
    const { inbox, faults, metrics, logger, bus } = this.options;
    const type = message.type as CommandType;
    const commandId = message.commandId!;
    const context = { sagaId: message.sagaId, commandId, type, messageId: message.messageId };
    const stopTimer = metrics.duration.startTimer({ type });
    let execution: Execution<ReplyPayload>;
    const stored = await inbox.findReply(commandId);
    if (stored) {
      if (stored.commandType !== type) {
        const conflict = deadLetter({
          type: 'command_id_conflict',
          message: `command id '${commandId}' was already used by a '${stored.commandType}' command`,
          retryable: false,
        });
        return { outcome: 'command_id_conflict', duplicate: false, deadLetter: conflict };
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
      traceparent: replyTraceparent,
    });
    await bus.publish(reply);
    stopTimer();
    metrics.commands.inc({ type, outcome: execution.reply.outcome });
    if (execution.duplicate) metrics.duplicates.inc({ type });
    logger.debug(execution.duplicate ? 'duplicate command answered again' : 'command handled', {
      ...context,
      outcome: execution.reply.outcome,
      ...(execution.reply.outcome === 'failure' && { reason: execution.reply.reason.code }),
    });
    return { outcome: execution.reply.outcome, duplicate: execution.duplicate === true };
  }
}
