/** A page of a store's records, in id order; `next` is the id to list after, null on the last page. */
export interface RecordPage<T> {
  items: T[];
  next: string | null;
}

/** Where a listing resumes: after the record `after` names (none: from the start), `limit` records. */
export interface PageRequest {
  after: string | null;
  limit: number;
}

/**
 * A page from up to `limit + 1` records read in id order: the extra one only tells that another page
 * follows, so that the last page says so without a further read.
 */
export function pageOf<T>(rows: T[], limit: number, idOf: (row: T) => string): RecordPage<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? idOf(items[items.length - 1]!) : null };
}
