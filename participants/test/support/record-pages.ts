import { expect } from 'chai';
import type { PageRequest, RecordPage } from '../../src/kit/record-page.js';

/**
 * Every record of a listing, read `limit` at a time: each page but the last is full, and the last one
 * says so (`next` null) without an empty page after it.
 */
export async function readEveryPage<T>(
  list: (request: PageRequest) => Promise<RecordPage<T>>,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page: RecordPage<T> = await list({ after, limit });
    pages++;
    expect(page.items.length, `page ${pages}`).to.be.at.most(limit);
    if (page.next !== null) expect(page.items.length, `page ${pages} is followed by another`).to.equal(limit);
    else if (pages > 1) expect(page.items, 'the last page').to.not.be.empty;
    items.push(...page.items);
    after = page.next;
  } while (after !== null);
  return { items, pages };
}

/** Whatever speaks HTTP to a participant under test. */
interface HttpClient {
  http(method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * Every item of a participant's listing route read `limit` at a time, following `next`; checks the
 * route refuses bad paging input with a 400 that says why.
 */
export async function readEveryHttpPage(client: HttpClient, path: string, limit: number): Promise<unknown[]> {
  for (const bad of ['limit=0', 'limit=1001', 'cursor=', 'orderId=o-1&cursor=x', 'orderId=o-1&limit=5', 'size=5']) {
    const refused = await client.http('GET', `${path}?${bad}`);
    expect(refused.status, `${path}?${bad}`).to.equal(400);
    expect(refused.body.error).to.equal('validation_failed');
  }
  const items: unknown[] = [];
  let next: string | null = null;
  do {
    const query: string = `limit=${limit}${next === null ? '' : `&cursor=${encodeURIComponent(next)}`}`;
    const page = await client.http('GET', `${path}?${query}`);
    expect(page.status).to.equal(200);
    items.push(...(page.body.items as unknown[]));
    next = page.body.next as string | null;
  } while (next !== null);
  return items;
}
