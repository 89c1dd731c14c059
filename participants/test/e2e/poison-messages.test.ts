import { expect } from 'chai';
import { awaitPoisonDeadLettered, publishPoisonMessages } from '@sagaflow/contracts/testing';
import { QUEUES, sagaflowTopology } from '@sagaflow/contracts';
import {
  createProduct,
  effectsSettled,
  kinds,
  ledgerOf,
  placeOrder,
  settledOrder,
  useOrderSystem,
} from './support/order-system.js';

describe('end to end: malformed and schema-invalid messages on every queue', function () {
  this.timeout(60_000);
  const ctx = useOrderSystem('faults-poison');

  it('dead-letters each with its reason, crashes no service, and real orders complete meanwhile', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 10, priceCents: 900 });
    const [orders, poison] = await Promise.all([
      placeOrders(system, product.sku),
      publishPoisonMessages(system.amqpUrl),
    ]);
    const queues = sagaflowTopology().queues.map((q) => q.name);
    expect(new Set(poison.map((p) => p.queue))).to.deep.equal(new Set(queues));
    expect(queues).to.include.members([QUEUES.inventory, QUEUES.payment, QUEUES.notification, QUEUES.replies]);
    const unknownIds = poison.filter((p) => p.kind === 'unknown_ids').map((p) => p.queue);
    expect(unknownIds).to.have.members([QUEUES.inventory, QUEUES.payment, QUEUES.notification, QUEUES.replies]);

    const outcomes = await awaitPoisonDeadLettered(system.amqpUrl, poison);
    expect(outcomes).to.have.length(poison.length);

    for (const { orderId } of orders) {
      expect((await settledOrder(system, orderId)).status).to.equal('CONFIRMED');
      await effectsSettled(system, orderId, 'order.confirmed', product.sku);
      expect(kinds(await ledgerOf(system, orderId))).to.deep.equal(['charge']);
    }
    const after = placeOrder(system, [{ sku: product.sku, quantity: 1 }]);
    expect((await settledOrder(system, (await after).orderId)).status).to.equal('CONFIRMED');
    expect(system.unexpectedExits()).to.deep.equal([]);
  });
});

function placeOrders(system: Parameters<typeof placeOrder>[0], sku: string) {
  return Promise.all(Array.from({ length: 3 }, () => placeOrder(system, [{ sku, quantity: 1 }])));
}
