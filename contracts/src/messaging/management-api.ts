/**
 * RabbitMQ's management API (HTTP), for what AMQP cannot do, such as listing a vhost's queues. Its
 * address is `managementUrl` (`RABBITMQ_MANAGEMENT_URL`) or port 15672 of the AMQP host; the
 * credentials are the management URL's or else the AMQP URL's.
 */
export interface ManagementTarget {
  amqpUrl: string;
  managementUrl?: string;
}

/** Calls `/api<path>`; a 404 answers undefined, any other failure throws. */
export async function managementRequest(
  target: ManagementTarget,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<unknown> {
  const amqp = new URL(target.amqpUrl);
  const base = new URL(target.managementUrl ?? `http://${amqp.hostname}:15672`);
  const user = decodeURIComponent(base.username || amqp.username || 'guest');
  const pass = decodeURIComponent(base.password || amqp.password || 'guest');
  base.username = '';
  base.password = '';
  const response = await fetch(new URL(`/api${path}`, base), {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok && response.status !== 404) {
    throw new Error(`management API ${method} ${path}: ${response.status} ${await response.text()}`);
  }
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

/** The vhost an AMQP URL names (`/` when its path is empty). */
export const vhostOf = (amqpUrl: string): string => decodeURIComponent(new URL(amqpUrl).pathname.slice(1)) || '/';

/** The names of every queue in the AMQP URL's vhost. */
export async function listQueueNames(target: ManagementTarget): Promise<string[]> {
  const path = `/queues/${encodeURIComponent(vhostOf(target.amqpUrl))}?columns=name`;
  const queues = ((await managementRequest(target, 'GET', path, undefined, 5_000)) as { name: string }[]) ?? [];
  return queues.map((q) => q.name);
}
