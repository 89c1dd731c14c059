import { randomUUID } from 'node:crypto';
import { COMMAND_TYPES, replyTypeOf, type Message } from '../messages.js';
import { routeOf } from '../messaging/envelope.js';
import { silentLogger } from '../messaging/logger.js';
import { MessageBus, messageProperties } from '../messaging/message-bus.js';
import type { Subscription } from '../messaging/message-bus.js';
import { EXCHANGES, sagaEventKey, sagaflowTopology, validateTopology } from '../topology.js';

/** Header on every copy the duplicator publishes. */
export const DUPLICATE_HEADER = 'x-e2e-duplicate';

const QUEUE = 'e2e.duplicator';
const COMPLETED_ORDER_KEY = sagaEventKey('order', 'COMPLETED');

export interface DuplicatorOptions {
  /** Extra copies of every message: 1 delivers each twice, 2 three times; default 1. */
  copies?: number;
  /**
   * Each copy goes out after a random delay up to this, so that copies overtake and are overtaken by
   * the messages around them (a reply's copy after the next command, a command's copy after its
   * reply); default 0, every copy at once.
   */
  maxDelayMs?: number;
  /** Picks the delays; Math.random by default. */
  random?: () => number;
}

/**
 * Delivers every command, every reply and every completed-order event `copies + 1` times, on the real
 * broker: its own queue is bound to the same exchanges and routing keys as the work queues, and each
 * message it receives is published `copies` more times to the same exchange and routing key, each with a
 * fresh message id and the `x-e2e-duplicate` header, after its own random delay. Its own copies come
 * back to it too and are left alone.
 */
export class Duplicator {
  /** Message types duplicated, by saga id. */
  readonly duplicatedBySaga = new Map<string, Set<string>>();
  /** Copies published (and confirmed by the broker). */
  copiesSent = 0;
  /** Copies published after a message received later than their original (so out of order). */
  reordered = 0;
  private readonly copyIds = new Set<string>();
  /** Copies not yet seen back on the duplicator's own queue (so not yet routed by the broker). */
  private readonly unrouted = new Set<string>();
  /** Command ids the duplicator copied a command of. */
  private readonly copiedCommands = new Set<string>();
  /** Replies (not copies) seen, by the command id they answer; a reply may come before its command does. */
  private readonly replies = new Map<string, number>();
  /** Copies waiting for their delay, each with what lets it go at once. */
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;
  private received = 0;
  private subscription: Subscription | undefined;

  private constructor(
    private readonly bus: MessageBus,
    private readonly copies: number,
    private readonly maxDelayMs: number,
    private readonly random: () => number,
  ) {}

  static async start(amqpUrl: string, options: DuplicatorOptions = {}): Promise<Duplicator> {
    const { copies = 1, maxDelayMs = 0, random = Math.random } = options;
    if (!Number.isInteger(copies) || copies < 1)
      throw new RangeError(`copies must be a whole number ≥ 1, not ${copies}`);
    if (!(maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be ≥ 0, not ${maxDelayMs}`);
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
    const duplicator = new Duplicator(bus, copies, maxDelayMs, random);
    duplicator.subscription = await bus.consume(QUEUE, (message) => duplicator.duplicate(message), { prefetch: 64 });
    return duplicator;
  }

  /**
   * Copies not known to be handled yet: any copy until the broker routed it (it came back here, and a
   * publish reaches every bound queue at once), and a command copied until its participant answered
   * every delivery of it (participants answer a duplicate with the stored reply).
   */
  get outstanding(): number {
    let waiting = this.unrouted.size;
    for (const commandId of this.copiedCommands) if ((this.replies.get(commandId) ?? 0) < this.copies + 1) waiting++;
    return waiting;
  }

  typesDuplicatedFor(sagaId: string): string[] {
    return [...(this.duplicatedBySaga.get(sagaId) ?? [])].sort();
  }

  /** Stops copying; copies still waiting for their delay are not sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const [timer, release] of this.waiting) {
      clearTimeout(timer);
      release();
    }
    this.waiting.clear();
    await this.subscription?.stop();
    await this.bus.stop();
  }

  private async duplicate(message: Message): Promise<void> {
    // The consumer sees decoded messages only, so its own copies are known by the ids it gave them.
    if (this.copyIds.has(message.messageId)) {
      this.unrouted.delete(message.messageId);
      return;
    }
    const sequence = ++this.received;
    const commandId = message.commandId ?? '';
    if (message.type.endsWith('.reply')) this.replies.set(commandId, (this.replies.get(commandId) ?? 0) + 1);
    if ((COMMAND_TYPES as readonly string[]).includes(message.type)) this.copiedCommands.add(commandId);
    const sagaId = message.sagaId ?? (message.payload as { sagaId?: string }).sagaId;
    if (sagaId !== undefined) {
      const types = this.duplicatedBySaga.get(sagaId) ?? new Set<string>();
      types.add(message.type);
      this.duplicatedBySaga.set(sagaId, types);
    }
    const copies = Array.from({ length: this.copies }, () => ({ ...message, messageId: randomUUID() }));
    for (const copy of copies) {
      this.copyIds.add(copy.messageId);
      this.unrouted.add(copy.messageId);
    }
    await Promise.all(copies.map((copy) => this.publishLater(copy, sequence)));
  }

  /** Publishes a copy after its random delay; resolves once the broker confirmed it. */
  private async publishLater(copy: Message, sequence: number): Promise<void> {
    const delayMs = Math.floor(this.random() * this.maxDelayMs);
    if (delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiting.delete(timer);
          resolve();
        }, delayMs);
        this.waiting.set(timer, resolve);
      });
    }
    if (this.stopped) {
      this.unrouted.delete(copy.messageId);
      return;
    }
    if (this.received > sequence) this.reordered++;
    const route =
      copy.type === 'saga.changed'
        ? { exchange: EXCHANGES.events, routingKey: COMPLETED_ORDER_KEY }
        : routeOf(copy.type);
    const properties = messageProperties(copy);
    await this.bus.publishRaw(route.exchange, route.routingKey, Buffer.from(JSON.stringify(copy)), {
      ...properties,
      headers: { ...properties.headers, [DUPLICATE_HEADER]: 'true' },
    });
    this.copiesSent++;
  }
}
