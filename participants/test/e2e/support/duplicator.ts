import { randomUUID } from 'node:crypto';
import {
  COMMAND_TYPES,
  EXCHANGES,
  replyTypeOf,
  sagaEventKey,
  sagaflowTopology,
  validateTopology,
  type Message,
} from '@sagaflow/contracts';
import { MessageBus, messageProperties, routeOf, silentLogger, type Subscription } from '@sagaflow/contracts/messaging';

/** Header on every copy the duplicator publishes. */
export const DUPLICATE_HEADER = 'x-e2e-duplicate';

const QUEUE = 'e2e.duplicator';
const COMPLETED_ORDER_KEY = sagaEventKey('order', 'COMPLETED');

/**
 * Delivers every command, every reply and every completed-order event twice, on the real broker: its
 * own queue is bound to the same exchanges and routing keys as the work queues, and each message it
 * receives is published once more to the same exchange and routing key with a fresh message id and the
 * `x-e2e-duplicate` header. Its own copies come back to it too and are left alone.
 */
export class Duplicator {
  /** Message types duplicated, by saga id. */
  readonly duplicatedBySaga = new Map<string, Set<string>>();
  private readonly copies = new Set<string>();
  /** Copies not yet seen back on the duplicator's own queue (so not yet routed by the broker). */
  private readonly unrouted = new Set<string>();
  /** Command ids the duplicator copied a command of. */
  private readonly copiedCommands = new Set<string>();
  /** Replies (not copies) seen, by the command id they answer; a reply may come before its command does. */
  private readonly replies = new Map<string, number>();
  private subscription: Subscription | undefined;

  private constructor(private readonly bus: MessageBus) {}

  static async start(amqpUrl: string): Promise<Duplicator> {
    const topology = validateTopology({
      // The same exchanges as the system's own topology, with only the duplicator's queue.
      exchanges: sagaflowTopology().exchanges,
      deadLetterExchange: EXCHANGES.deadLetter,
      queues: [
        {
          name: QUEUE,
          bindings: [
            ...COMMAND_TYPES.map((type) => ({ exchange: EXCHANGES.commands, routingKey: type })),
            ...COMMAND_TYPES.map((type) => ({ exchange: EXCHANGES.replies, routingKey: replyTypeOf(type) })),
            { exchange: EXCHANGES.events, routingKey: COMPLETED_ORDER_KEY },
          ],
          retryDelaysMs: [],
        },
      ],
    });
    const bus = await MessageBus.connect({ url: amqpUrl, topology, logger: silentLogger(), name: 'e2e-duplicator' });
    const duplicator = new Duplicator(bus);
    duplicator.subscription = await bus.consume(QUEUE, (message) => duplicator.duplicate(message), { prefetch: 64 });
    return duplicator;
  }

  /**
   * Copies not known to be handled yet: any copy until the broker routed it (it came back here, and a
   * publish reaches every bound queue at once), and a command copy until its participant answered it
   * too (a second reply to its command id; participants answer a duplicate with the stored reply).
   */
  get outstanding(): number {
    let waiting = this.unrouted.size;
    for (const commandId of this.copiedCommands) if ((this.replies.get(commandId) ?? 0) < 2) waiting++;
    return waiting;
  }

  typesDuplicatedFor(sagaId: string): string[] {
    return [...(this.duplicatedBySaga.get(sagaId) ?? [])].sort();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    await this.bus.stop();
  }

  private async duplicate(message: Message): Promise<void> {
    // The consumer sees decoded messages only, so its own copies are known by the ids it gave them.
    if (this.copies.has(message.messageId)) {
      this.unrouted.delete(message.messageId);
      return;
    }
    const commandId = message.commandId ?? '';
    if (message.type.endsWith('.reply')) this.replies.set(commandId, (this.replies.get(commandId) ?? 0) + 1);
    const copy: Message = { ...message, messageId: randomUUID() };
    const route =
      message.type === 'saga.changed'
        ? { exchange: EXCHANGES.events, routingKey: COMPLETED_ORDER_KEY }
        : routeOf(message.type);
    const properties = messageProperties(copy);
    this.copies.add(copy.messageId);
    this.unrouted.add(copy.messageId);
    if ((COMMAND_TYPES as readonly string[]).includes(message.type)) this.copiedCommands.add(commandId);
    await this.bus.publishRaw(route.exchange, route.routingKey, Buffer.from(JSON.stringify(copy)), {
      ...properties,
      headers: { ...properties.headers, [DUPLICATE_HEADER]: 'true' },
    });
    const sagaId = message.sagaId ?? (message.payload as { sagaId?: string }).sagaId;
    if (sagaId !== undefined) {
      const types = this.duplicatedBySaga.get(sagaId) ?? new Set<string>();
      types.add(message.type);
      this.duplicatedBySaga.set(sagaId, types);
    }
  }
}
