/** One page of a listing and the cursor of the next, if any. */
export interface ListingPage<T> {
  items: T[];
  next?: string | null;
}

/**
 * Every item of a paged listing, read one bounded page at a time. A listing that answers the cursor it
 * was given as its next one would never end: `onRepeat` names the failure.
 */
export async function readAllPages<T>(
  list: (cursor: string | undefined) => Promise<ListingPage<T>>,
  onRepeat: () => Error = () => new Error('the listing repeats its cursor'),
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await list(cursor);
    all.push(...page.items);
    const next = page.next ?? undefined;
    if (next === undefined) return all;
    if (next === cursor) throw onRepeat();
    cursor = next;
  }
}
