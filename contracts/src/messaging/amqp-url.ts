/**
 * The URL with a 10 s heartbeat unless it names one. A long-lived client opened with amqplib itself
 * (the orchestrator's dead-letter API, a reader following the event log) must notice a dead
 * connection; amqplib sends no heartbeats by default.
 */
export function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
  return parsed.toString();
}
