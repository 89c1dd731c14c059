import { expect } from 'chai';
import { expressQueueOf, QUEUES, type QueueType } from '@sagaflow/contracts';
import { eventually, managementApi } from '@sagaflow/contracts/testing';
import { createProduct, ledgerOf, placeOrder, settledOrder, useOrderSystem } from './support/order-system.js';

const STANDARD = 16;
const EXPRESS = 3;

/** Messages waiting in a queue of the vhost, as the broker counts them. */
async function depth(vhost: string, queue: string): Promise<number> {
  const info = (await managementApi('GET', `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`)) as {
    messages?: number;
  };
  return info?.messages ?? 0;
}

for (const queueType of ['classic', 'quorum'] as const satisfies QueueType[]) {
  describe(`express orders overtake a backlog (QUEUE_TYPE=${queueType})`, function () {
    this.timeout(60_000);
    const started = useOrderSystem(`express-${queueType}`, {
      startTimeoutMs: 45_000,
      // No resends while payment is away: the backlog is the orders' first charges, nothing else.
      env: { STEP_TIMEOUT_MS: '60000', QUEUE_TYPE: queueType },
      // One command at a time, so that the order in which the queue hands them out is the order they run in.
      serviceEnv: { payment: { COMMAND_PREFETCH: '1' } },
    });

    it('charges the express orders placed behind the standard ones first', async function () {
      const { system, vhost } = started;
      const { sku } = await createProduct(system, { available: 1_000 });
      const items = [{ sku, quantity: 1 }];
      // Payment stops (drained): the orders' charges wait in its queue.
      await system.kill('payment', 'SIGTERM');
      const place = (n: number, priority: 'standard' | 'express') =>
        Promise.all(Array.from({ length: n }, () => placeOrder(system, items, { priority })));
      const standard = await place(STANDARD, 'standard');
      await eventually(async () => expect(await depth(vhost.name, QUEUES.payment)).to.equal(STANDARD), {
        timeoutMs: 15_000,
      });
      const express = await place(EXPRESS, 'express');
      const expressQueue = queueType === 'classic' ? QUEUES.payment : expressQueueOf(QUEUES.payment);
      const expected = queueType === 'classic' ? STANDARD + EXPRESS : EXPRESS;
      await eventually(async () => expect(await depth(vhost.name, expressQueue)).to.equal(expected), {
        timeoutMs: 15_000,
      });

      await system.restart('payment');
      const orders = await Promise.all([...standard, ...express].map((o) => settledOrder(system, o.orderId, 30_000)));
      expect(orders.map((o) => o.status)).to.deep.equal(Array(STANDARD + EXPRESS).fill('CONFIRMED'));
      expect(orders.slice(STANDARD).map((o) => o.priority)).to.deep.equal(Array(EXPRESS).fill('express'));

      const chargedAt = async ({ orderId }: { orderId: string }) => {
        const [charge] = (await ledgerOf(system, orderId)) as unknown as { createdAt: string }[];
        return Date.parse(charge!.createdAt);
      };
      const standardTimes = await Promise.all(standard.map(chargedAt));
      const expressTimes = await Promise.all(express.map(chargedAt));
      // Without priorities every express charge would come after all the standard ones. With them, a
      // classic queue hands out every express charge first; under quorum the express queue's consumer
      // takes turns with the standard one, so a few standard charges may go in between.
      const overtaken = expressTimes.map((t) => standardTimes.filter((s) => s < t).length);
      const allowed = queueType === 'classic' ? 1 : EXPRESS + 1;
      for (const n of overtaken)
        expect(n, `standard charges before an express one: ${overtaken}`).to.be.at.most(allowed);
    });
  });
}
