import type { EnvReader } from './config.js';

/**
 * The replayable event log (DESIGN §2): a RabbitMQ stream bound to the events exchange with `#`, so
 * that it keeps every event published there, saga events first of all, for any reader to start at
 * the beginning, at an offset or at a time. Only the orchestrator, which publishes the saga events,
 * declares it: every declarer must pass the same retention or the broker refuses the declare (406),
 * and one declarer reading `EVENT_LOG_*` keeps that true.
 */
export const EVENT_LOG_STREAM = 'sagaflow.events.log';

/** How much of the log the broker keeps; the oldest segment goes once either limit is passed. */
export interface EventLogRetention {
  /** `EVENT_LOG_MAX_BYTES`: the stream's size on disk. */
  maxBytes: number;
  /** `EVENT_LOG_MAX_AGE`: RabbitMQ's age syntax, a whole number and a unit (`Y M D h m s`), e.g. `7D`. */
  maxAge: string;
}

export const EVENT_LOG_VARIABLES = { maxBytes: 'EVENT_LOG_MAX_BYTES', maxAge: 'EVENT_LOG_MAX_AGE' } as const;

export const DEFAULT_EVENT_LOG_RETENTION: EventLogRetention = { maxBytes: 1_000_000_000, maxAge: '7D' };

export const EVENT_LOG_MIN_BYTES = 1_000_000;

/** RabbitMQ's `x-max-age`: a positive whole number followed by one unit. */
export const EVENT_LOG_AGE = /^[1-9][0-9]{0,8}[YMDhms]$/;

/** RabbitMQ's own default segment (500 MB) is too big a step for the small logs of tests and demos. */
const MAX_SEGMENT_BYTES = 100_000_000;

/**
 * Retention drops whole segments, never part of one, so a segment is a tenth of the size limit (at
 * most 100 MB): the log then holds between 90 % and 100 % of `maxBytes` once it is full.
 */
export const eventLogSegmentBytes = (maxBytes: number): number =>
  Math.min(MAX_SEGMENT_BYTES, Math.floor(maxBytes / 10));

/** The stream's declare arguments; a stream whatever `QUEUE_TYPE` says. */
export const eventLogArguments = (retention: EventLogRetention): Record<string, unknown> => ({
  'x-queue-type': 'stream',
  'x-max-length-bytes': retention.maxBytes,
  'x-max-age': retention.maxAge,
  'x-stream-max-segment-size-bytes': eventLogSegmentBytes(retention.maxBytes),
});

/** Which variable sets a stream argument, to name it when the broker holds another value. */
export const EVENT_LOG_ARGUMENT_VARIABLES: Readonly<Record<string, string>> = {
  'x-max-length-bytes': EVENT_LOG_VARIABLES.maxBytes,
  'x-max-age': EVENT_LOG_VARIABLES.maxAge,
  // It follows the size limit.
  'x-stream-max-segment-size-bytes': EVENT_LOG_VARIABLES.maxBytes,
};

/** Reads `EVENT_LOG_MAX_BYTES` and `EVENT_LOG_MAX_AGE`, noting what is wrong on `read`. */
export function readEventLogRetention(read: EnvReader): EventLogRetention {
  const maxBytes = read.int(EVENT_LOG_VARIABLES.maxBytes, DEFAULT_EVENT_LOG_RETENTION.maxBytes, {
    min: EVENT_LOG_MIN_BYTES,
  });
  const maxAge = read.string(EVENT_LOG_VARIABLES.maxAge, DEFAULT_EVENT_LOG_RETENTION.maxAge);
  if (!EVENT_LOG_AGE.test(maxAge)) {
    read.problem(
      `${EVENT_LOG_VARIABLES.maxAge} must be a whole number and one of the units Y, M, D, h, m, s, such as 7D or 12h (got '${maxAge}')`,
    );
    return { maxBytes, maxAge: DEFAULT_EVENT_LOG_RETENTION.maxAge };
  }
  return { maxBytes, maxAge };
}
