import { randomUUID } from 'node:crypto';
import { eventually } from './eventually.js';
import { managementRequest } from '../messaging/management-api.js';

export interface TestVhost {
  name: string;
  /** AMQP URL into the vhost. */
  url: string;
  delete(): Promise<void>;
}

const baseAmqpUrl = () => new URL(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');

/** Calls RabbitMQ's management API (`RABBITMQ_MANAGEMENT_URL`, default on port 15672 with the AMQP credentials). */
export const managementApi = (method: string, path: string, body?: unknown): Promise<unknown> =>
  managementRequest(
    { amqpUrl: baseAmqpUrl().toString(), managementUrl: process.env.RABBITMQ_MANAGEMENT_URL },
    method,
    path,
    body,
  );

/**
 * Feature flags Sagaflow's queues need: quorum queues dead-letter at least once only with `stream_queue`
 * on (RabbitMQ 3.10). A broker installed fresh may have it off; enabling it is what
 * `scripts/ensure-broker.sh` does too, and it cannot be undone (nor does it need to be).
 */
export const REQUIRED_FEATURE_FLAGS = ['quorum_queue', 'stream_queue'] as const;

let flagsEnabled: Promise<void> | undefined;

/** Enables `REQUIRED_FEATURE_FLAGS` on the broker where they are off; once per process. */
export function ensureFeatureFlags(): Promise<void> {
  flagsEnabled ??= (async () => {
    const flags = ((await managementApi('GET', '/feature-flags')) as { name: string; state: string }[]) ?? [];
    for (const name of REQUIRED_FEATURE_FLAGS) {
      if (flags.find((f) => f.name === name)?.state === 'enabled') continue;
      await managementApi('PUT', `/feature-flags/${name}/enable`, {});
    }
  })().catch((error: unknown) => {
    flagsEnabled = undefined;
    throw error;
  });
  return flagsEnabled;
}

/** A fresh vhost for one test (the guest user may use it); `delete()` removes it and all in it. */
export async function createTestVhost(prefix = 'test'): Promise<TestVhost> {
  await ensureFeatureFlags();
  const name = `${prefix}-${randomUUID()}`;
  const vhost = encodeURIComponent(name);
  await managementApi('PUT', `/vhosts/${vhost}`);
  const amqp = baseAmqpUrl();
  const user = decodeURIComponent(amqp.username || 'guest');
  await managementApi('PUT', `/permissions/${vhost}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  const url = new URL(amqp);
  url.pathname = `/${vhost}`;
  return { name, url: url.toString(), delete: () => managementApi('DELETE', `/vhosts/${vhost}`).then(() => undefined) };
}

/**
 * Closes every client connection to a vhost, as a broker restart or network cut would. Returns how many.
 * The management API lists a new connection only after a second or more, so this first waits (up to
 * `timeoutMs`) until at least `atLeast` connections are listed; a connection opened later is not closed.
 */
export async function closeVhostConnections(
  vhost: string,
  { atLeast = 1, timeoutMs = 10_000 }: { atLeast?: number; timeoutMs?: number } = {},
): Promise<number> {
  const path = `/vhosts/${encodeURIComponent(vhost)}/connections?columns=name`;
  const connections = await eventually(
    async () => {
      const listed = ((await managementApi('GET', path)) as { name: string }[] | undefined) ?? [];
      if (listed.length < atLeast) throw new Error(`${listed.length} of ${atLeast} connections listed on ${vhost}`);
      return listed;
    },
    { timeoutMs, intervalMs: 100 },
  );
  await Promise.all(connections.map((c) => managementApi('DELETE', `/connections/${encodeURIComponent(c.name)}`)));
  return connections.length;
}
