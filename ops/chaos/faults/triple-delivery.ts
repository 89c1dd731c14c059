import { Duplicator, waitUntil } from '@sagaflow/contracts/testing';
import type { Fault } from '../fault.js';

const COPIES = 2;
const MAX_DELAY_MS = 300;

/**
 * Every command, reply and completed-order event delivered three times (`Duplicator`, two copies each
 * after a random delay up to 300 ms, so that copies overtake the messages around them): the inboxes
 * and the orchestrator must absorb every duplicate, whatever order it comes in. At heal the copies
 * still under way are given up to 15 s before the duplicator stops (under full load its own queue
 * runs behind); the copies then not yet routed, and the copied commands not yet answered for every
 * delivery, are noted as `outstandingAtStop`.
 */
export const tripleDelivery: Fault = {
  name: 'triple-delivery',
  summary: 'every command, reply and event delivered 3 times, out of order (up to 300 ms late)',
  async inject(target) {
    const duplicator = await Duplicator.start(target.system.amqpUrl, { copies: COPIES, maxDelayMs: MAX_DELAY_MS });
    return {
      async heal() {
        await waitUntil(() => duplicator.outstanding === 0, 'every copy handled', { timeoutMs: 15_000 }).catch(
          () => undefined,
        );
        const outstandingAtStop = duplicator.outstanding;
        await duplicator.stop();
        return { copiesSent: duplicator.copiesSent, reordered: duplicator.reordered, outstandingAtStop };
      },
    };
  },
};
