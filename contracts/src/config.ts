import { SagaflowError } from './errors.js';
import { parseStoreUrl } from './store-url.js';
import { parseCurrencies } from './payment-routing.js';

/** The log levels every Sagaflow service and the CLI understand, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** How work queues are declared (DESIGN §2): classic on one node, or quorum, replicated across a cluster. */
export const QUEUE_TYPES = ['classic', 'quorum'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];
export const DEFAULT_QUEUE_TYPE: QueueType = 'classic';
/** `RETRY_JITTER`: a retry of delay d waits between d·(1 − j) and d·(1 + j); 0 waits d exactly. */
export const DEFAULT_RETRY_JITTER = 0.2;
export const MAX_RETRY_JITTER = 0.9;
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const DEFAULT_STORE_URL = 'mongodb://127.0.0.1:27017/sagaflow';

/** Exit code of a process that refused to start on bad configuration or usage. */
export const EXIT_BAD_USAGE = 2;

/** Every problem with the environment at once, so that one start names all bad variables. */
export class ConfigError extends SagaflowError {
  constructor(readonly problems: string[]) {
    super('invalid_config', `invalid configuration: ${problems.join('; ')}`, { retryable: false });
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The one configuration reader of every service and the CLI (DESIGN §8). Each getter returns a
 * usable value and notes what was wrong; `done()` then throws one `ConfigError` naming every bad
 * variable with what is allowed.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env = process.env) {}

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** Reports a problem found by the caller, alongside the reader's own. */
  problem(message: string): void {
    this.problems.push(message);
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got '${raw}')`);
      return fallback;
    }
    return value;
  }

  intList(name: string, fallback: number[], { min = 1, max = 86_400_000, maxItems = 20 } = {}): number[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const parts = raw.split(',').map((part) => part.trim());
    const values = parts.map(Number);
    const ok = parts.every((p, i) => /^\d+$/.test(p) && values[i] >= min && values[i] <= max);
    if (!ok || values.length > maxItems) {
      this.problems.push(
        `${name} must be a comma list of up to ${maxItems} whole numbers from ${min} to ${max} (got '${raw}')`,
      );
      return fallback;
    }
    return values;
  }

  list(name: string, fallback: string[] = []): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    return raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
  }

  url(name: string, fallback: string, schemes: readonly string[]): string;
  url(name: string, fallback: undefined, schemes: readonly string[]): string | undefined;
  url(name: string, fallback: string | undefined, schemes: readonly string[]): string | undefined {
    const value = this.optional(name) ?? fallback;
    if (value === undefined) return undefined;
    let scheme: string;
    try {
      scheme = new URL(value).protocol.replace(/:$/, '');
    } catch {
      this.problems.push(`${name} is not a URL (got '${value}')`);
      return fallback;
    }
    if (!schemes.includes(scheme)) {
      this.problems.push(`${name} must be a ${schemes.map((s) => `${s}://`).join(' or ')} URL (got '${scheme}://')`);
      return fallback;
    }
    return value;
  }

  /** A comma list of web origins (`scheme://host[:port]`, nothing after), such as CORS allows. */
  origins(name: string): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return [];
    const values = raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const bad = values.filter((value) => {
      try {
        const url = new URL(value);
        return !['http:', 'https:'].includes(url.protocol) || url.origin !== value;
      } catch {
        return true;
      }
    });
    if (bad.length) {
      this.problems.push(
        `${name} must be a comma list of origins such as https://ui.example.com (got '${bad.join("', '")}')`,
      );
      return [];
    }
    return values;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.string(name, fallback);
    if (!allowed.includes(value as T)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got '${value}')`);
      return fallback;
    }
    return value as T;
  }

  /** `LOG_LEVEL`, one of `LOG_LEVELS`. */
  logLevel(): LogLevel {
    return this.oneOf('LOG_LEVEL', 'info', LOG_LEVELS);
  }

  /** `AMQP_URL`, the broker of every service. */
  amqpUrl(): string {
    return this.url('AMQP_URL', DEFAULT_AMQP_URL, ['amqp', 'amqps']);
  }

  /** `QUEUE_TYPE`, the type the work queues and their dead-letter and retry queues are declared with. */
  queueType(): QueueType {
    return this.oneOf('QUEUE_TYPE', DEFAULT_QUEUE_TYPE, QUEUE_TYPES);
  }

  /** `RETRY_JITTER`, the fraction a retry's delay is spread by (see `retryBucketsOf`); every service must read the same. */
  retryJitter(): number {
    const raw = this.optional('RETRY_JITTER');
    if (raw === undefined) return DEFAULT_RETRY_JITTER;
    const value = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw) || value > MAX_RETRY_JITTER) {
      this.problems.push(`RETRY_JITTER must be a fraction from 0 to ${MAX_RETRY_JITTER}, 0 for none (got '${raw}')`);
      return DEFAULT_RETRY_JITTER;
    }
    return value;
  }

  /**
   * `PAYMENT_CURRENCIES`: the currencies a payment worker takes on queues of their own, upper case;
   * empty when unset (the worker then takes every currency without a queue of its own).
   */
  paymentCurrencies(): string[] {
    const raw = this.optional('PAYMENT_CURRENCIES');
    if (raw === undefined) return [];
    const parsed = parseCurrencies(raw);
    if (parsed.ok) return parsed.currencies;
    this.problems.push(parsed.problem);
    return [];
  }

  /** `STORE_URL`, checked by the one store-URL parser. */
  storeUrl(): string {
    const value = this.string('STORE_URL', DEFAULT_STORE_URL);
    try {
      parseStoreUrl(value);
    } catch (error) {
      this.problems.push((error as Error).message);
      return DEFAULT_STORE_URL;
    }
    return value;
  }

  /** Throws one `ConfigError` listing every problem found, if any. */
  done(): void {
    if (this.problems.length) throw new ConfigError([...this.problems]);
  }
}
