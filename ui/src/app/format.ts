/** Money as the order shows it: `12.00 EUR`. */
export const formatMoney = (cents: number | null | undefined, currency: string): string =>
  cents === null || cents === undefined ? '—' : `${(cents / 100).toFixed(2)} ${currency}`;

/** A duration short and readable: `840 ms`, `2.4 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1_000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A time of day with seconds, in the reader's zone. */
export const formatTime = (iso: string): string =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** How long ago, for lists: `12 s ago`. */
export const formatAgo = (iso: string, now: number = Date.now()): string =>
  `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago`;

/** A long id cut in the middle so that both ends stay recognisable. */
export const shortId = (id: string, keep = 8): string =>
  id.length <= keep * 2 + 1 ? id : `${id.slice(0, keep)}…${id.slice(-keep)}`;
