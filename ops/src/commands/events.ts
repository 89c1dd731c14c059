import { InvalidArgumentError, Option, type Command } from 'commander';
import { EVENT_LOG_STREAM, type SagaChanged } from '@sagaflow/contracts';
import { EventLogReader, type EventLogEntry, type EventLogStart } from '@sagaflow/contracts/messaging';
import { OpsFailure, positiveInteger, type OpsContext } from '../context.js';

/** An ISO 8601 date, or date and time (minutes at least), with an optional zone; without one it is local time. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * `--from`: `start` (the oldest event kept), `next` (only what is stored from now on: a bare `tail`
 * follows, as `tail -f` does, rather than replaying up to a week), an OFFSET or an ISO 8601 TIME.
 */
export function parseStart(value: string): EventLogStart {
  if (value === 'start') return { from: 'start' };
  if (value === 'next') return { from: 'next' };
  if (/^\d+$/.test(value)) {
    const offset = Number(value);
    if (Number.isSafeInteger(offset)) return { from: 'offset', offset };
  }
  // JavaScript reads a date alone as UTC but a date and time without a zone as local time: local both.
  const at = ISO_TIME.test(value) ? new Date(/^[\d-]{10}$/.test(value) ? `${value}T00:00` : value) : null;
  if (at !== null && !Number.isNaN(at.getTime())) return { from: 'time', at };
  throw new InvalidArgumentError(
    'must be start, next, an offset (a whole number from 0) or an ISO 8601 time such as 2026-12-01T09:30:00Z',
  );
}

function describeStart(start: EventLogStart): string {
  switch (start.from) {
    case 'start':
      return 'its oldest event';
    case 'next':
      return 'the next event stored';
    case 'offset':
      return `offset ${start.offset}`;
    case 'time':
      return start.at.toISOString();
  }
}

const sagaIdOf = (entry: EventLogEntry): string | undefined =>
  entry.message.sagaId ?? (entry.message.payload as { sagaId?: string }).sagaId;

/** One event on one line: offset, time, then what changed, saga events field by field. */
function eventLine({ offset, message }: EventLogEntry): string {
  if (message.type !== 'saga.changed') {
    return `${offset}  ${message.occurredAt}  ${message.type}  ${JSON.stringify(message.payload)}`;
  }
  const saga = message.payload as SagaChanged;
  const happened = saga.entries.map((e) => (e.step ? `${e.kind} ${e.step}` : e.kind)).join(', ');
  return (
    `${offset}  ${saga.updatedAt}  saga=${saga.sagaId} type=${saga.type} status=${saga.status} ` +
    `state=${saga.state} order=${saga.orderId}${happened ? `  [${happened}]` : ''}`
  );
}

interface TailOptions {
  from: EventLogStart;
  saga?: string;
  json?: boolean;
  limit?: number;
}

/**
 * Follows the log until interrupted (SIGINT, SIGTERM: exit 0) or, with `--limit`, until that many
 * events were printed; a read the broker ends fails (exit 1) naming the offset to resume from.
 */
async function tail(ctx: OpsContext, options: TailOptions): Promise<void> {
  let printed = 0;
  let stop!: () => void;
  const done = new Promise<void>((resolve) => (stop = resolve));
  // Listening before connecting: a Ctrl-C while the reader attaches ends the command cleanly too.
  const unsubscribe = ctx.deps.interrupts?.(() => stop()) ?? (() => undefined);
  let reader: EventLogReader | undefined;
  try {
    reader = await EventLogReader.open(ctx.config.amqpUrl, {
      start: options.from,
      onEntry: (entry) => {
        if (printed === options.limit) return;
        if (options.saga !== undefined && sagaIdOf(entry) !== options.saga) return;
        ctx.print(
          options.json
            ? JSON.stringify({ offset: entry.offset, routingKey: entry.routingKey, ...entry.message })
            : eventLine(entry),
        );
        if (++printed === options.limit) stop();
      },
      onInvalid: ({ offset, reason, detail }) =>
        void ctx.deps.stderr.write(`offset ${offset}: not a valid event, skipped (${reason}: ${detail})\n`),
    });
    // On stderr, so that stdout holds events only: a script may read it line by line.
    ctx.deps.stderr.write(`reading ${EVENT_LOG_STREAM} from ${describeStart(options.from)}; Ctrl-C stops\n`);
    await Promise.race([done, reader.ended]);
  } catch (error) {
    const resume = reader?.offset == null ? '' : `; go on with --from ${reader.offset + 1}`;
    throw new OpsFailure(`${(error as Error).message}${resume}`);
  } finally {
    unsubscribe();
    await reader?.stop();
  }
}

/** `events tail`: the event log stream over AMQP (AMQP_URL). */
export function addEventsCommands(program: Command, ctx: OpsContext): void {
  const events = program
    .command('events')
    .description(`read the event log, the stream ${EVENT_LOG_STREAM} every saga event also goes to (AMQP_URL)`);

  events
    .command('tail')
    .description('print events of the log as they come, oldest first, until Ctrl-C (or --limit)')
    .addOption(
      new Option(
        '--from <start|next|TIME|OFFSET>',
        'where to begin: the oldest event kept, the next one stored, a time or an offset',
      )
        .argParser(parseStart)
        .default({ from: 'next' }, 'next'),
    )
    .option('--saga <id>', "only this saga's events")
    .option('--json', 'one JSON object per line: the event as published, with its offset and routing key')
    .option('--limit <n>', 'stop after printing this many events (exit 0)', positiveInteger(Number.MAX_SAFE_INTEGER))
    .action((options: TailOptions) => tail(ctx, options));
}
