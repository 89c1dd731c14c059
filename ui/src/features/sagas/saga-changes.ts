import type { SagaChanged, SagaDetail, SagaStatus, SagaSummary, SagaType } from '@sagaflow/contracts';

export interface SagaPage {
  items: SagaSummary[];
  next: string | null;
}

export interface ListFilter {
  status?: SagaStatus;
  type?: SagaType;
  limit: number;
}

/** The newest change of each saga in a batch, in the order the sagas first appear. */
export function latestBySaga(changes: readonly SagaChanged[]): SagaChanged[] {
  const latest = new Map<string, SagaChanged>();
  for (const change of changes) {
    const seen = latest.get(change.sagaId);
    if (!seen || change.version > seen.version) latest.set(change.sagaId, change);
  }
  return [...latest.values()];
}

const matches = (change: SagaChanged, filter: ListFilter) =>
  (filter.status === undefined || change.status === filter.status) &&
  (filter.type === undefined || change.type === filter.type);

/** When a saga started, from the change that started it (its first timeline entry). */
const createdAtOf = (change: SagaChanged): string =>
  change.entries.find((e) => e.kind === 'saga.started')?.at ?? change.updatedAt;

/**
 * Applies a batch of changes to the first page of a newest-first list: rows change in place, a new
 * saga that fits the filter comes in at the top, one that no longer fits leaves. The page keeps its
 * length, so that the cursor to the next page still follows it closely enough.
 */
export function applyChangesToPage(page: SagaPage, changes: readonly SagaChanged[], filter: ListFilter): void {
  const fresh: SagaSummary[] = [];
  for (const change of latestBySaga(changes)) {
    const index = page.items.findIndex((s) => s.sagaId === change.sagaId);
    if (index >= 0) {
      const row = page.items[index]!;
      if (change.version <= row.version) continue;
      if (!matches(change, filter)) {
        page.items.splice(index, 1);
        continue;
      }
      Object.assign(row, {
        status: change.status,
        state: change.state,
        version: change.version,
        updatedAt: change.updatedAt,
      });
    } else if (matches(change, filter) && change.entries.some((e) => e.kind === 'saga.started')) {
      const { sagaId, type, status, state, orderId, version, updatedAt } = change;
      fresh.push({ sagaId, type, status, state, orderId, version, updatedAt, createdAt: createdAtOf(change) });
    }
  }
  if (fresh.length) page.items.unshift(...fresh.reverse());
  if (page.items.length > filter.limit) page.items.length = filter.limit;
}

/** Applies a batch of changes to one saga: status, state, and the timeline entries it has not seen. */
export function applyChangesToSaga(saga: SagaDetail, changes: readonly SagaChanged[]): void {
  for (const change of changes) {
    if (change.sagaId !== saga.sagaId || change.version <= saga.version) continue;
    saga.status = change.status;
    saga.state = change.state;
    saga.version = change.version;
    saga.updatedAt = change.updatedAt;
    const lastSeq = saga.timeline.at(-1)?.seq ?? 0;
    saga.timeline.push(...change.entries.filter((e) => e.seq > lastSeq));
  }
}

/** Whether a batch changed a status count (a new saga, or a saga that moved): then counts are read again. */
export const changesCounts = (changes: readonly SagaChanged[]): boolean =>
  changes.some((c) => c.entries.some((e) => e.kind !== 'command.sent' && e.kind !== 'reply.received'));
