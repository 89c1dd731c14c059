import { awaitPoisonDeadLettered, publishPoisonMessages, type PoisonMessage } from '@sagaflow/contracts/testing';
import type { Fault } from '../fault.js';
import type { Verdict } from '../invariants.js';

/**
 * Poison on every work queue during the load (`publishPoisonMessages`: a body that is not JSON, a
 * payload failing its schema, and a valid message naming ids nobody knows): each must end in its DLQ
 * with its reason while the orders around it go through. At heal every one must be dead-lettered
 * (`awaitPoisonDeadLettered`); the DLQ invariant then keeps them there. The notification for a made-up
 * order is recorded (nothing can tell it is made up), so reconciliation's report of it is expected.
 */
export const poisonMessages: Fault = {
  name: 'poison-messages',
  summary: 'not-JSON, schema-invalid and unknown-id messages on every queue during the load',
  async inject(target) {
    const published = target.loadUnderWay.then(() => publishPoisonMessages(target.system.amqpUrl));
    let poison: PoisonMessage[] = [];
    let misplaced: string[] = [];
    return {
      async heal() {
        poison = await published;
        const outcomes = await awaitPoisonDeadLettered(target.system.amqpUrl, poison, { timeoutMs: 30_000 }).catch(
          (error: Error) => {
            misplaced = error.message.split('; ');
            return [];
          },
        );
        return { poison: poison.length, deadLettered: outcomes.length };
      },
      verdicts: (): Verdict[] => [
        {
          invariant: 'every poison message dead-lettered with its reason',
          ok: misplaced.length === 0,
          violations: misplaced,
        },
      ],
      ownOrderIds: () => poison.flatMap((p) => (p.orderId === undefined ? [] : [p.orderId])),
    };
  },
};
