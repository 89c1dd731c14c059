import type { Channel, Message } from 'amqplib';

/**
 * The acks of one consumer channel, sent once per turn of the event loop: deliveries settled in a
 * row from the oldest outstanding one are acked by ONE `multiple` ack, the rest one by one. Handlers
 * of many messages finish in the same turn under load, so the broker gets one frame where it got
 * dozens. Nothing is acked before its handler settled it: a multiple ack covers only tags whose
 * handler acked or requeued them, and it names a tag acked in that very turn (RabbitMQ refuses an ack
 * for a tag that is no longer outstanding, even with `multiple`).
 */
export class ChannelAcks {
  /** Delivery tags in the order the broker gave them (increasing), from `head` on not yet passed. */
  private delivered: number[] = [];
  private head = 0;
  /** Tags settled (acked or requeued) but not yet passed by the contiguous prefix. */
  private readonly settled = new Set<number>();
  private pending: number[] = [];
  private scheduled = false;
  private closed = false;

  constructor(private readonly channel: Channel) {}

  /** Every delivery is announced before it is settled. */
  received(deliveryTag: number): void {
    this.delivered.push(deliveryTag);
  }

  ack(deliveryTag: number): void {
    this.settled.add(deliveryTag);
    this.pending.push(deliveryTag);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Puts a delivery back on its queue now (not batched: it is rare, and another consumer may take it). */
  requeue(raw: Message): void {
    this.settled.add(raw.fields.deliveryTag);
    this.channel.nack(raw, false, true);
  }

  /** Sends the acks gathered so far; the channel's end drops them (the broker requeues those deliveries). */
  flush(): void {
    this.scheduled = false;
    if (this.closed || this.pending.length === 0) return;
    const acking = new Set(this.pending);
    this.pending = [];
    let upTo = -1;
    while (this.head < this.delivered.length && this.settled.has(this.delivered[this.head]!)) {
      const tag = this.delivered[this.head++]!;
      this.settled.delete(tag);
      if (acking.has(tag)) upTo = tag;
    }
    if (this.head > 1024) {
      this.delivered = this.delivered.slice(this.head);
      this.head = 0;
    }
    try {
      if (upTo >= 0) this.channel.ack(tagOnly(upTo), true);
      for (const tag of acking) if (tag > upTo) this.channel.ack(tagOnly(tag), false);
    } catch {
      // The channel closed under us: the broker requeues what it did not get acked.
      this.close();
    }
  }

  /** The channel ended: what was not sent is moot. */
  close(): void {
    this.closed = true;
    this.pending = [];
  }
}

/** amqplib's ack reads only the delivery tag of the message it is given. */
const tagOnly = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message;
