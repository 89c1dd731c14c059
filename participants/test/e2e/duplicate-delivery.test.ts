import { expect } from 'chai';
import { Duplicator, eventually, waitUntil, type DuplicatorOptions } from '@sagaflow/contracts/testing';
import {
  createProduct,
  effectsSettled,
  kinds,
  ledgerOf,
  notificationsOf,
  orderOf,
  placeOrder,
  productOf,
  sagaOf,
  settledOrder,
  templates,
  useOrderSystem,
} from './support/order-system.js';

/** Each message twice, in order; and three times, the copies up to 300 ms late, so out of order. */
const DELIVERIES: { name: string; options: DuplicatorOptions }[] = [
  { name: 'twice', options: { copies: 1 } },
  { name: 'three times and out of order', options: { copies: 2, maxDelayMs: 300 } },
];

describe('participants end to end: every command and reply delivered more than once', function () {
  this.timeout(60_000);
  const ctx = useOrderSystem('e2e-duplicates');
  let duplicator: Duplicator | undefined;

  afterEach(async () => {
    await duplicator?.stop();
    duplicator = undefined;
  });

  for (const { name, options } of DELIVERIES) {
    it(`applies every effect once, every message delivered ${name}`, async () => {
      const { system } = ctx;
      duplicator = await Duplicator.start(system.amqpUrl, options);
      const product = await createProduct(system, { available: 10, priceCents: 1_500 });

      const confirmed = await placeOrder(system, [{ sku: product.sku, quantity: 2 }]);
      const declined = await placeOrder(system, [{ sku: product.sku, quantity: 3 }], { token: 'tok_decline' });
      const refunded = await placeOrder(system, [{ sku: product.sku, quantity: 1 }]);

      expect((await settledOrder(system, confirmed.orderId)).status).to.equal('CONFIRMED');
      expect((await settledOrder(system, declined.orderId)).status).to.equal('CANCELLED');
      expect((await settledOrder(system, refunded.orderId)).status).to.equal('CONFIRMED');
      await effectsSettled(system, refunded.orderId, 'order.confirmed', product.sku);

      const cancel = await system.request('orchestrator', 'POST', `/orders/${refunded.orderId}/cancel`);
      expect(cancel.status, cancel.text).to.equal(202);
      const cancellationSagaId = (cancel.body as { sagaId: string }).sagaId;
      await eventually(
        async () => {
          expect((await sagaOf(system, cancellationSagaId)).status).to.equal('COMPLETED');
          expect((await orderOf(system, refunded.orderId)).status).to.equal('CANCELLED');
        },
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      await effectsSettled(system, confirmed.orderId, 'order.confirmed', product.sku);
      await effectsSettled(system, declined.orderId, 'order.cancelled', product.sku);
      await effectsSettled(system, refunded.orderId, 'order.refunded', product.sku);

      // Every step of every saga really went through twice.
      expect(duplicator.typesDuplicatedFor(confirmed.sagaId)).to.include.members([
        'inventory.reserve',
        'inventory.reserve.reply',
        'payment.charge',
        'payment.charge.reply',
        'notification.send',
        'notification.send.reply',
        'saga.changed',
      ]);
      expect(duplicator.typesDuplicatedFor(declined.sagaId)).to.include.members([
        'payment.charge.reply',
        'inventory.release',
        'inventory.release.reply',
        'notification.send',
      ]);
      expect(duplicator.typesDuplicatedFor(cancellationSagaId)).to.include.members([
        'payment.refund',
        'payment.refund.reply',
        'inventory.release',
        'inventory.release.reply',
        'notification.send',
      ]);

      // A late copy could still apply an effect twice: count effects once the duplicator knows every copy handled.
      await waitUntil(() => duplicator!.outstanding === 0, 'every copy routed and every command copy answered', {
        timeoutMs: 10_000,
      });

      const charged = await ledgerOf(system, confirmed.orderId);
      expect(kinds(charged)).to.deep.equal(['charge']);
      expect(charged[0]!.amountCents).to.equal(3_000);
      expect(await ledgerOf(system, declined.orderId)).to.deep.equal([]);
      const refund = await ledgerOf(system, refunded.orderId);
      expect(kinds(refund)).to.deep.equal(['charge', 'refund']);
      expect(refund.map((e) => e.amountCents)).to.deep.equal([1_500, 1_500]);

      expect(templates(await notificationsOf(system, confirmed.orderId))).to.deep.equal(['order.confirmed']);
      expect(templates(await notificationsOf(system, declined.orderId))).to.deep.equal(['order.cancelled']);
      expect(templates(await notificationsOf(system, refunded.orderId))).to.deep.equal([
        'order.confirmed',
        'order.refunded',
      ]);

      // 10 units: 2 sold, 3 back after the decline, 1 back after the refund.
      expect(await productOf(system, product.sku)).to.include({ available: 8, reserved: 0 });
      for (const { orderId } of [confirmed, declined, refunded]) {
        expect((await orderOf(system, orderId)).sagaStatus).to.be.oneOf(['COMPLETED', 'CANCELLED']);
      }
      if (options.maxDelayMs) expect(duplicator.reordered, 'copies that came after later messages').to.be.above(0);
    });
  }
});
