import { startTestSystem, type LocalSystem } from '@sagaflow/contracts/testing';

/** The real services in their own vhost and schema, the orchestrator serving the built viewer. */
export interface ViewerSystem {
  /** Base URL of the orchestrator, e.g. http://127.0.0.1:41234 */
  url: string;
  services: LocalSystem;
  cleanup(): Promise<void>;
}

/** Every service on free ports; the orchestrator shows the catalogue of the inventory beside it. */
export async function startViewerSystem(
  options: { env?: Record<string, string>; orchestratorEnv?: Record<string, string>; prefix?: string } = {},
): Promise<ViewerSystem> {
  const { system, cleanup } = await startTestSystem({
    prefix: options.prefix ?? 'ui',
    env: { LOG_LEVEL: 'warn', ...options.env },
    serviceEnv: { orchestrator: options.orchestratorEnv ?? {} },
    startTimeoutMs: 60_000,
  });
  return { url: system.url('orchestrator'), services: system, cleanup };
}
