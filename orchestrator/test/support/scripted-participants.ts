import {
  PARTICIPANT_NAMES,
  commandQueueOf,
  sagaflowTopology,
  type CommandType,
  type Message,
  type PayloadOf,
  type ReplyType,
} from '@sagaflow/contracts';
import {
  childTraceparent,
  createMessage,
  MessageBus,
  silentLogger,
  type Subscription,
} from '@sagaflow/contracts/messaging';

export type ScriptedReply =
  { outcome: 'success'; result: unknown } | { outcome: 'failure'; reason: { code: string; message: string } };
/** What a scripted participant does with a command: reply, or say nothing (a lost reply). */
export type Script = (command: Message, delivery: number) => ScriptedReply | 'silence';

const priced = (command: Message<'inventory.reserve'>) => {
  const lines = command.payload.items.map((i) => ({
    sku: i.sku,
    name: `Product ${i.sku}`,
    quantity: i.quantity,
    unitPriceCents: 1000,
    lineTotalCents: 1000 * i.quantity,
  }));
  return { lines, totalCents: lines.reduce((sum, l) => sum + l.lineTotalCents, 0) };
};

/** Replies as well-behaved participants would: everything succeeds. */
export const happyScript: Script = (command) => {
  switch (command.type as CommandType) {
    case 'inventory.reserve':
      return { outcome: 'success', result: priced(command as Message<'inventory.reserve'>) };
    case 'inventory.release':
      return { outcome: 'success', result: { released: [] } };
    case 'payment.charge': {
      const { amountCents, currency } = (command as Message<'payment.charge'>).payload;
      return { outcome: 'success', result: { paymentId: `pay-${command.commandId}`, amountCents, currency } };
    }
    case 'payment.refund':
      return { outcome: 'success', result: { paymentId: null, amountCents: 0 } };
    default:
      return { outcome: 'success', result: { notificationId: `ntf-${command.commandId}` } };
  }
};

/**
 * Stand-ins for inventory, payment and notification that reply by script, on the real broker.
 * Like the real ones they apply a command once: a redelivered or resent command id is answered
 * with the first reply, and `effects` counts each command id once.
 */
export class ScriptedParticipants {
  readonly received: Message[] = [];
  /** Effects applied, by command id. */
  readonly effects = new Map<string, Message>();
  private readonly replies = new Map<string, ScriptedReply>();
  private readonly deliveries = new Map<string, number>();
  private subscriptions: Subscription[] = [];
  /** Send every reply twice (duplicate delivery). */
  duplicateReplies = false;
  /** The second copies published (and confirmed by the broker), by command id. */
  readonly duplicatesSent = new Set<string>();

  private constructor(
    private readonly bus: MessageBus,
    public script: Script,
  ) {}

  static async start(url: string, script: Script = happyScript): Promise<ScriptedParticipants> {
    const bus = await MessageBus.connect({
      url,
      topology: sagaflowTopology([20]),
      logger: silentLogger(),
      name: 'scripted',
    });
    const participants = new ScriptedParticipants(bus, script);
    for (const queue of PARTICIPANT_NAMES.map(commandQueueOf)) {
      participants.subscriptions.push(await bus.consume(queue, (m) => participants.handle(m), { prefetch: 256 }));
    }
    return participants;
  }

  commandsOf(type: CommandType, orderId?: string): Message[] {
    return this.received.filter(
      (m) => m.type === type && (!orderId || (m.payload as { orderId: string }).orderId === orderId),
    );
  }

  /** Handles a command again as if the broker delivered it once more (a replay from a DLQ). */
  redeliver(command: Message): Promise<void> {
    return this.handle(command);
  }

  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
    await this.bus.stop();
  }

  private async handle(command: Message): Promise<void> {
    this.received.push(command);
    const commandId = command.commandId!;
    const delivery = (this.deliveries.get(commandId) ?? 0) + 1;
    this.deliveries.set(commandId, delivery);
    let reply = this.replies.get(commandId);
    if (!reply) {
      const scripted = this.script(command, delivery);
      if (scripted === 'silence') return;
      reply = scripted;
      this.replies.set(commandId, reply);
      this.effects.set(commandId, command);
    }
    const message = createMessage(`${command.type}.reply` as ReplyType, reply as PayloadOf<ReplyType>, {
      sagaId: command.sagaId,
      commandId,
      traceparent: childTraceparent(command.traceparent),
    });
    await this.bus.publish(message);
    if (this.duplicateReplies) {
      await this.bus.publish({ ...message, messageId: `${message.messageId}-again` });
      this.duplicatesSent.add(commandId);
    }
  }
}
