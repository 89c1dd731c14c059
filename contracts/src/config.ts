import { SagaflowError } from './errors.js';

/**
 * Reads settings from the environment and collects every problem, so that a service refuses to
 * start with one clear message naming all bad variables instead of failing later.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got '${raw}')`);
      return fallback;
    }
    return value;
  }

  intList(name: string, fallback: number[], { min = 1, max = 86_400_000 } = {}): number[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const values = raw.split(',').map((part) => Number(part.trim()));
    if (!values.every((v) => Number.isInteger(v) && v >= min && v <= max)) {
      this.problems.push(`${name} must be a comma list of whole numbers from ${min} to ${max} (got '${raw}')`);
      return fallback;
    }
    return values;
  }

  url(name: string, fallback: string, schemes: string[]): string {
    const value = this.string(name, fallback);
    let scheme: string;
    try {
      scheme = new URL(value).protocol.replace(/:$/, '');
    } catch {
      this.problems.push(`${name} is not a URL (got '${value}')`);
      return fallback;
    }
    if (!schemes.includes(scheme))
      this.problems.push(`${name} must be a ${schemes.join(' or ')} URL (got '${scheme}:')`);
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.string(name, fallback);
    if (!allowed.includes(value as T)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got '${value}')`);
      return fallback;
    }
    return value as T;
  }

  /** Throws one error listing every problem found, if any. */
  done(): void {
    if (this.problems.length) {
      throw SagaflowError.nonRetryable('invalid_config', `invalid configuration: ${this.problems.join('; ')}`);
    }
  }
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export const STORE_SCHEMES = ['mongodb', 'mongodb+srv', 'postgres', 'postgresql'];
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const DEFAULT_STORE_URL = 'mongodb://127.0.0.1:27017/sagaflow';
