import { repeatedly, type Fault } from '../fault.js';

/**
 * The orchestrator killed with SIGKILL every `killEveryMs` and started again at once: no drain, no
 * goodbye, whatever it held in memory (kept machines, unsent outbox batches, unacked replies) is gone.
 */
export const orchestratorKill: Fault = {
  name: 'orchestrator-kill',
  summary: 'the orchestrator killed -9 every 10 s and restarted',
  async inject(target) {
    return repeatedly(target, 'kills', target.scale.killEveryMs, async () => {
      await target.counters.carry('orchestrator');
      await target.system.kill('orchestrator', 'SIGKILL');
      await target.system.restart('orchestrator');
    });
  },
};
