import type { ErrorInfo } from './schemas/common.js';

/**
 * A technical failure with a stable `type` that retry policy matches on.
 * Business outcomes (declined, out of stock) are replies, never errors.
 */
export class SagaflowError extends Error {
  readonly type: string;
  readonly retryable: boolean;

  constructor(type: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SagaflowError';
    this.type = type;
    this.retryable = options.retryable ?? true;
  }

  static nonRetryable(type: string, message: string, cause?: unknown): SagaflowError {
    return new SagaflowError(type, message, { retryable: false, cause });
  }
}

/** Turns anything thrown into the `{ type, message, retryable }` that crosses the wire. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof SagaflowError) {
    return { type: error.type, message: error.message, retryable: error.retryable };
  }
  if (error instanceof Error) return { type: error.name || 'Error', message: error.message, retryable: true };
  return { type: 'Unknown', message: String(error), retryable: true };
}
