import {
  MAX_RECORD_PAGE,
  NotificationPage,
  PaymentPage,
  ReservationPage,
  validator,
  type Notification,
  type Payment,
  type Reservation,
  type TSchema,
  type Validator,
} from '@sagaflow/contracts';
import { readAllPages } from './all-pages.js';

export type ParticipantName = 'inventory' | 'payment' | 'notification';

/** Base URLs of the participants' HTTP APIs. */
export type ParticipantUrls = Record<ParticipantName, string>;

/** A participant that did not answer, or answered something other than a page of its records. */
export class ParticipantUnavailable extends Error {
  constructor(
    readonly participant: ParticipantName,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 10_000;

interface Listing<T> {
  participant: ParticipantName;
  path: string;
  check: Validator<{ items: T[]; next?: string | null }>;
}

const listing = <T>(participant: ParticipantName, path: string, schema: TSchema): Listing<T> => ({
  participant,
  path,
  check: validator(schema) as Validator<{ items: T[]; next?: string | null }>,
});

const PAYMENTS = listing<Payment>('payment', 'payments', PaymentPage);
const RESERVATIONS = listing<Reservation>('inventory', 'reservations', ReservationPage);
const NOTIFICATIONS = listing<Notification>('notification', 'notifications', NotificationPage);

const withSlash = (url: string): string => (url.endsWith('/') ? url : `${url}/`);

async function readPage<T>(
  { participant, path, check }: Listing<T>,
  baseUrl: string,
  cursor: string | null,
): Promise<{ items: T[]; next: string | null }> {
  const url = new URL(path, withSlash(baseUrl));
  url.searchParams.set('limit', String(MAX_RECORD_PAGE));
  if (cursor !== null) url.searchParams.set('cursor', cursor);
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new ParticipantUnavailable(
      participant,
      `the ${participant} service at ${url.origin} does not answer: ${(error as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new ParticipantUnavailable(
      participant,
      `the ${participant} service answered ${response.status} to GET ${url.pathname}`,
    );
  }
  const body: unknown = await response.json().catch(() => undefined);
  const page = check(body);
  if (!page.ok) {
    throw new ParticipantUnavailable(
      participant,
      `the ${participant} service answered GET ${url.pathname} with no page of records`,
    );
  }
  return { items: page.value.items, next: page.value.next ?? null };
}

/** Every record of a participant's listing, a bounded page at a time. */
const readAll = <T>(listing: Listing<T>, baseUrl: string): Promise<T[]> =>
  readAllPages(
    (cursor) => readPage(listing, baseUrl, cursor ?? null),
    () => new ParticipantUnavailable(listing.participant, `the ${listing.participant} service repeats its cursor`),
  );

/** What the participants recorded, read over their HTTP APIs (they own their data), all at once. */
export async function readParticipantRecords(urls: ParticipantUrls) {
  const [payments, reservations, notifications] = await Promise.all([
    readAll(PAYMENTS, urls.payment),
    readAll(RESERVATIONS, urls.inventory),
    readAll(NOTIFICATIONS, urls.notification),
  ]);
  return { payments, reservations, notifications };
}
