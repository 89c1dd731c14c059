import type { Fault } from '../fault.js';

/**
 * Two orchestrators on the same store and queues: orders and cancellations go to both in turn, and
 * the replies of one's sagas may be consumed by the other, so both work on the same sagas at once.
 * Nothing to inject: the race is the fault.
 */
export const racingOrchestrators: Fault = {
  name: 'racing-orchestrators',
  summary: 'two orchestrators racing on the same sagas, orders sent to both',
  instances: { orchestrator: 2 },
  async inject() {
    return { heal: async () => ({ orchestrators: 2 }) };
  },
};
