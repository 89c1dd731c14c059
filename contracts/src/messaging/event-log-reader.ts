import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { EVENT_LOG_STREAM } from '../event-log.js';
import { SagaflowError } from '../errors.js';
import type { DeadLetterReason } from '../headers.js';
import type { Message } from '../messages.js';
import { withHeartbeat } from './amqp-url.js';
import { decodeMessage } from './envelope.js';

/**
 * Where a read of the log starts: its first event still kept, only events stored from now on, the
 * event at an offset (or the first kept after it, once retention dropped it), or the first event
 * that occurred at or after a time.
 */
export type EventLogStart =
  { from: 'start' } | { from: 'next' } | { from: 'offset'; offset: number } | { from: 'time'; at: Date };

/** One event of the log with its place in it. */
export interface EventLogEntry {
  /** Its offset in the stream: increases by one per event stored, never reused. */
  offset: number;
  routingKey: string;
  /** The event, checked against its schema. */
  message: Message;
}

/** An entry that is no valid event; it is reported, never dropped in silence. */
export interface EventLogInvalidEntry {
  offset: number;
  reason: DeadLetterReason;
  detail: string;
}

export interface EventLogReadOptions {
  start: EventLogStart;
  onEntry(entry: EventLogEntry): void;
  onInvalid(entry: EventLogInvalidEntry): void;
  /** Deliveries in hand at once; a stream consumer must have a limit. */
  prefetch?: number;
  stream?: string;
}

/**
 * The broker attaches a time-based reader at the first chunk written at or after the time it is given,
 * by its own clock. Asking it for a minute earlier and keeping only events that occurred at or after
 * the time makes the start exact across a clock skew of up to that much between publisher and broker.
 */
const CLOCK_SKEW_MS = 60_000;

/** The broker's `x-stream-offset` for a start. */
function streamOffsetOf(start: EventLogStart): unknown {
  switch (start.from) {
    case 'start':
      return 'first';
    case 'next':
      return 'next';
    case 'offset':
      return start.offset;
    case 'time':
      return { '!': 'timestamp', value: Math.floor((start.at.getTime() - CLOCK_SKEW_MS) / 1000) };
  }
}

/**
 * Whether an entry is before the start asked for: the broker hands out whole chunks, so the first one
 * may begin before the requested offset, and a time-based start begins early on purpose.
 */
function beforeStart(start: EventLogStart, offset: number, message: Message | null): boolean {
  if (start.from === 'offset') return offset < start.offset;
  if (start.from === 'time') return message !== null && Date.parse(message.occurredAt) < start.at.getTime();
  return false;
}

/**
 * Reads the event log stream (`sagaflow.events.log`) over AMQP from a start, in order, and follows it
 * until stopped. Each delivery is acked once handed over (a stream keeps it anyway; the ack gives the
 * broker credit to send more). A lost connection ends the read with the last offset handed over, from
 * which a reader resumes exactly.
 */
export class EventLogReader {
  /** Resolves once `stop()` ended the read; rejects when the broker ended it. */
  readonly ended: Promise<void>;
  private lastOffset: number | null = null;
  private stopping = false;
  private consumerTag: string | undefined;
  private end!: { resolve: () => void; reject: (error: Error) => void };

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly stream: string,
  ) {
    this.ended = new Promise<void>((resolve, reject) => (this.end = { resolve, reject }));
    this.ended.catch(() => undefined);
    connection.on('error', () => undefined);
    connection.on('close', (error?: Error) => this.endedByBroker('the connection to the broker closed', error));
    // A lost connection closes its channels first: a moment later, the connection's reason has won.
    channel.on('close', () => queueMicrotask(() => this.endedByBroker('the broker closed the channel')));
  }

  /** Ends the read with the offset to go on from, unless `stop()` is ending it. */
  private endedByBroker(reason: string, cause?: unknown): void {
    if (this.stopping) return;
    const after = this.lastOffset === null ? 'before any event' : `after offset ${this.lastOffset}`;
    this.end.reject(
      new SagaflowError('event_log_lost', `the read of '${this.stream}' ended ${after}: ${reason}`, { cause }),
    );
  }

  /** The offset of the last entry handed over (valid or not), null before the first. */
  get offset(): number | null {
    return this.lastOffset;
  }

  /** Connects, attaches to the stream at the start and hands every entry over as it comes. */
  static async open(url: string, options: EventLogReadOptions): Promise<EventLogReader> {
    const stream = options.stream ?? EVENT_LOG_STREAM;
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(withHeartbeat(url), {
        clientProperties: { connection_name: 'sagaflow-event-log' },
      });
    } catch (error) {
      throw new SagaflowError('broker_unavailable', `cannot connect to the broker: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      const reader = new EventLogReader(connection, channel, stream);
      await channel.prefetch(options.prefetch ?? 100);
      await reader.consume(options);
      return reader;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw explainConsumeFailure(error, stream);
    }
  }

  private async consume({ start, onEntry, onInvalid }: EventLogReadOptions): Promise<void> {
    const { consumerTag } = await this.channel.consume(
      this.stream,
      (raw: ConsumeMessage | null) => {
        if (!raw) return this.endedByBroker('the broker cancelled it (was the stream deleted?)');
        const offset = Number(raw.properties.headers?.['x-stream-offset']);
        const decoded = decodeMessage(raw.content);
        this.channel.ack(raw);
        if (beforeStart(start, offset, decoded.ok ? decoded.message : null)) return;
        this.lastOffset = offset;
        if (this.stopping) return;
        if (decoded.ok) onEntry({ offset, routingKey: raw.fields.routingKey, message: decoded.message });
        else onInvalid({ offset, reason: decoded.reason, detail: decoded.detail });
      },
      { noAck: false, arguments: { 'x-stream-offset': streamOffsetOf(start) } },
    );
    this.consumerTag = consumerTag;
  }

  /** Stops handing entries over and closes the connection; `ended` resolves unless the broker ended the read first. */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      if (this.consumerTag) await this.channel.cancel(this.consumerTag).catch(() => undefined);
      await this.connection.close().catch(() => undefined);
      this.end.resolve();
    }
    // A read the broker had ended already is stopped all the same.
    await this.ended.catch(() => undefined);
  }
}

function explainConsumeFailure(error: unknown, stream: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 404) {
    return SagaflowError.nonRetryable(
      'event_log_missing',
      `the event log '${stream}' does not exist on this broker (vhost): the orchestrator declares it when it starts`,
      error,
    );
  }
  if (code === 406) {
    return SagaflowError.nonRetryable(
      'event_log_not_a_stream',
      `'${stream}' cannot be read from an offset: ${(error as Error).message}`,
      error,
    );
  }
  return error;
}
