import { DEFAULT_RETRY_DELAYS_MS } from '@sagaflow/contracts';
import type { ParticipantConfig } from './kit/participant-service.js';
import type { InventoryConfig } from './inventory/inventory-service.js';
import type { NotificationConfig } from './notification/notification-service.js';
import { DEFAULT_PAYMENT_LIMIT_CENTS, type PaymentConfig } from './payment/payment-service.js';
import { storeKindOf } from './kit/store-url.js';

export const PARTICIPANTS = ['inventory', 'payment', 'notification'] as const;
export type ParticipantName = (typeof PARTICIPANTS)[number];

export const DEFAULT_PORTS: Record<ParticipantName, number> = { inventory: 8081, payment: 8082, notification: 8083 };
export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

export type ServiceConfig =
  | { service: 'inventory'; config: InventoryConfig }
  | { service: 'payment'; config: PaymentConfig }
  | { service: 'notification'; config: NotificationConfig };

/** Every problem with the environment, reported together so that one start shows them all. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, not '${raw}'`);
    return fallback;
  }
  return value;
}

function url(env: Env, name: string, fallback: string | undefined, schemes: string[], problems: string[]) {
  const raw = env[name]?.trim() || fallback;
  if (raw === undefined) return undefined;
  try {
    const scheme = new URL(raw).protocol.replace(/:$/, '');
    if (!schemes.includes(scheme)) problems.push(`${name} must use ${schemes.join(' or ')}://, not '${scheme}://'`);
  } catch {
    problems.push(`${name} is not a URL: '${raw}'`);
  }
  return raw;
}

/** Reads and checks a participant's configuration from the environment (DESIGN §8). */
export function configFromEnv(service: string, env: Env = process.env): ServiceConfig {
  const problems: string[] = [];
  if (!(PARTICIPANTS as readonly string[]).includes(service)) {
    throw new ConfigError([`unknown participant '${service}' (one of ${PARTICIPANTS.join(', ')})`]);
  }
  const name = service as ParticipantName;
  const retryRaw = env.RETRY_DELAYS_MS?.trim();
  let retryDelaysMs = DEFAULT_RETRY_DELAYS_MS;
  if (retryRaw) {
    const delays = retryRaw.split(',').map((s) => Number(s.trim()));
    if (delays.some((d) => !Number.isInteger(d) || d < 1 || d > 86_400_000) || delays.length > 20) {
      problems.push(`RETRY_DELAYS_MS must be up to 20 comma-separated integers of ms (1..86400000), not '${retryRaw}'`);
    } else {
      retryDelaysMs = delays;
    }
  }
  const storeUrl = url(
    env,
    'STORE_URL',
    'mongodb://127.0.0.1:27017/sagaflow',
    ['mongodb', 'mongodb+srv', 'postgres', 'postgresql'],
    problems,
  )!;
  const base: ParticipantConfig = {
    amqpUrl: url(env, 'AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp', 'amqps'], problems)!,
    storeUrl,
    port: integer(env, 'PORT', DEFAULT_PORTS[name], 0, 65_535, problems),
    retryDelaysMs,
  };
  const logLevel = env.LOG_LEVEL?.trim();
  if (logLevel && !['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of error, warn, info, http, verbose, debug, silly, not '${logLevel}'`);
  }
  let result: ServiceConfig;
  if (name === 'inventory') {
    const lowStockThreshold = integer(
      env,
      'INVENTORY_LOW_THRESHOLD',
      DEFAULT_LOW_STOCK_THRESHOLD,
      0,
      1_000_000_000,
      problems,
    );
    result = { service: name, config: { ...base, lowStockThreshold } };
  } else if (name === 'payment') {
    const limitCents = integer(env, 'PAYMENT_LIMIT_CENTS', DEFAULT_PAYMENT_LIMIT_CENTS, 0, 1_000_000_000_000, problems);
    result = { service: name, config: { ...base, limitCents } };
  } else {
    const smtpUrl = url(env, 'SMTP_URL', undefined, ['smtp', 'smtps'], problems);
    result = { service: name, config: { ...base, ...(smtpUrl && { smtpUrl }) } };
  }
  if (problems.length === 0) storeKindOf(storeUrl);
  if (problems.length) throw new ConfigError(problems);
  return result;
}
