import { SagaflowError } from '@sagaflow/contracts';

/** The key of the last item on a page: lists run newest first by (createdAt, id). */
export interface PageKey {
  createdAt: Date;
  id: string;
}

export const MAX_PAGE_LIMIT = 1000;

/** Opaque to clients: base64url of the last item's key. */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), key.id])).toString('base64url');
}

/** Throws a non-retryable `invalid_cursor` error for anything `encodeCursor` did not make. */
export function decodeCursor(cursor: string): PageKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw SagaflowError.nonRetryable('invalid_cursor', 'the cursor is not one this API returned', error);
  }
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
    const createdAt = new Date(parsed[0]);
    if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: parsed[1] };
  }
  throw SagaflowError.nonRetryable('invalid_cursor', 'the cursor is not one this API returned');
}

/** Throws a non-retryable `invalid_limit` error unless `limit` is an integer from 1 to MAX_PAGE_LIMIT. */
export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw SagaflowError.nonRetryable('invalid_limit', `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  }
  return limit;
}

/** Splits `limit + 1` fetched rows into a page; the extra row only tells that another page exists. */
export function toPage<T>(rows: T[], limit: number, keyOf: (item: T) => PageKey): { items: T[]; next: string | null } {
  if (rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  return { items, next: encodeCursor(keyOf(items[items.length - 1]!)) };
}
