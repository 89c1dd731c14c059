import { PARTICIPANT_NAMES, type SystemService } from '@sagaflow/contracts';
import type { LocalSystem } from '@sagaflow/contracts/testing';

/** Duplicates each kind of service absorbs, as its `/metrics` counts them. */
const DUPLICATE_COUNTERS: Partial<Record<SystemService, string>> = {
  orchestrator: 'sagaflow_replies_ignored_total',
  ...Object.fromEntries(PARTICIPANT_NAMES.map((p) => [p, 'sagaflow_participant_duplicate_commands_total'])),
};

/** The sum of every series of a counter in a Prometheus text exposition. */
export function sumOfCounter(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/**
 * Duplicate and redelivered messages the services absorbed. A process's counters die with it, so a
 * fault that kills one calls `carry` first: what it had counted is kept and added to the end figure.
 */
export class ServiceCounters {
  private readonly carried = new Map<SystemService, number>();

  constructor(private readonly system: LocalSystem) {}

  /** Keeps what every instance of `service` counted so far (before it is killed). */
  async carry(service: SystemService): Promise<void> {
    const now = await this.read(service);
    this.carried.set(service, (this.carried.get(service) ?? 0) + now);
  }

  /** Duplicates absorbed by each kind of service, the carried counts included. */
  async duplicates(): Promise<Partial<Record<SystemService, number>>> {
    const totals: Partial<Record<SystemService, number>> = {};
    for (const service of Object.keys(DUPLICATE_COUNTERS) as SystemService[]) {
      totals[service] = (this.carried.get(service) ?? 0) + (await this.read(service));
    }
    return totals;
  }

  private async read(service: SystemService): Promise<number> {
    const name = DUPLICATE_COUNTERS[service];
    if (name === undefined) return 0;
    const counts = await Promise.all(
      this.system.urlsOf(service).map(async (url) => {
        try {
          const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
          return response.ok ? sumOfCounter(await response.text(), name) : 0;
        } catch {
          // A process that is down has nothing to say; what it counted before was carried.
          return 0;
        }
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}
