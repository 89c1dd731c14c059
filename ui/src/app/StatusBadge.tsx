/** One colour per status, everywhere: running blue, compensating amber, stalled red, completed green, cancelled grey. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}
