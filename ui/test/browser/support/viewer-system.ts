import {
  createTestSchema,
  createTestVhost,
  startLocalSystem,
  type LocalSystem,
  type TestSchema,
  type TestVhost,
} from '@sagaflow/contracts/testing';

/** The real services in their own vhost and schema, the orchestrator serving the built viewer. */
export interface ViewerSystem {
  /** Base URL of the orchestrator, e.g. http://127.0.0.1:41234 */
  url: string;
  participants: LocalSystem;
  orchestrator: LocalSystem;
  vhost: TestVhost;
  schema: TestSchema;
  cleanup(): Promise<void>;
}

/**
 * Starts the participants first, then the orchestrator pointed at that inventory (its catalogue is
 * what `GET /products` shows), all on free ports.
 */
export async function startViewerSystem(
  options: { env?: Record<string, string>; orchestratorEnv?: Record<string, string>; prefix?: string } = {},
): Promise<ViewerSystem> {
  const prefix = options.prefix ?? 'ui';
  const [vhost, schema] = await Promise.all([createTestVhost(prefix), createTestSchema(prefix)]);
  const base = { vhost, storeUrl: schema.url, env: { LOG_LEVEL: 'warn', ...options.env }, startTimeoutMs: 60_000 };
  let participants: LocalSystem | null = null;
  try {
    participants = await startLocalSystem({ ...base, services: ['inventory', 'payment', 'notification'] });
    const orchestrator = await startLocalSystem({
      ...base,
      services: ['orchestrator'],
      serviceEnv: { orchestrator: { INVENTORY_URL: participants.url('inventory'), ...options.orchestratorEnv } },
    });
    const started = participants;
    return {
      url: orchestrator.url('orchestrator'),
      participants: started,
      orchestrator,
      vhost,
      schema,
      async cleanup() {
        await Promise.allSettled([orchestrator.stop(), started.stop()]);
        await Promise.allSettled([vhost.delete(), schema.drop()]);
      },
    };
  } catch (error) {
    await participants?.stop();
    await Promise.allSettled([vhost.delete(), schema.drop()]);
    throw error;
  }
}
