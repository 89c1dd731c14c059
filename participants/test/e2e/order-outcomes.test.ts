import { expect } from 'chai';
import { closeVhostConnections, eventually } from '@sagaflow/contracts/testing';
import {
  PAYMENT_LIMIT_CENTS,
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

describe('participants end to end: order outcomes (every service a process)', function () {
  this.timeout(40_000);
  const ctx = useOrderSystem('e2e-outcomes');

  it('confirms an order: stock taken, charged once, confirmation sent, nothing left reserved', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 10, priceCents: 1_250 });
    const { orderId } = await placeOrder(system, [{ sku: product.sku, quantity: 3 }]);

    const order = await settledOrder(system, orderId);
    expect(order.status).to.equal('CONFIRMED');
    expect(order.sagaStatus).to.equal('COMPLETED');
    expect(order.totalCents).to.equal(3_750);
    await effectsSettled(system, orderId, 'order.confirmed', product.sku);

    expect(await productOf(system, product.sku)).to.include({ available: 7, reserved: 0 });
    const ledger = await ledgerOf(system, orderId);
    expect(ledger).to.have.length(1);
    expect(ledger[0]).to.include({ kind: 'charge', amountCents: 3_750, currency: 'EUR' });
    const sent = await notificationsOf(system, orderId);
    expect(templates(sent)).to.deep.equal(['order.confirmed']);
    expect(sent[0]!.to).to.equal('ada@example.com');
  });

  it('cancels an order whose card is declined: stock back, nothing charged, cancellation sent', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 5 });
    const { orderId } = await placeOrder(system, [{ sku: product.sku, quantity: 2 }], { token: 'tok_decline' });

    const order = await settledOrder(system, orderId);
    expect(order.status).to.equal('CANCELLED');
    expect(order.sagaStatus).to.equal('CANCELLED');
    expect(order.reason).to.be.a('string').and.not.empty;
    await effectsSettled(system, orderId, 'order.cancelled', product.sku);

    expect(await productOf(system, product.sku)).to.include({ available: 5, reserved: 0 });
    expect(await ledgerOf(system, orderId)).to.deep.equal([]);
    expect(templates(await notificationsOf(system, orderId))).to.deep.equal(['order.cancelled']);
  });

  it('cancels an order that asks for more than is in stock and never charges it', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 1 });
    const { orderId } = await placeOrder(system, [{ sku: product.sku, quantity: 2 }]);

    const order = await settledOrder(system, orderId);
    expect(order.status).to.equal('CANCELLED');
    await effectsSettled(system, orderId, 'order.cancelled', product.sku);

    expect(await productOf(system, product.sku)).to.include({ available: 1, reserved: 0 });
    expect(await ledgerOf(system, orderId)).to.deep.equal([]);
    expect(templates(await notificationsOf(system, orderId))).to.deep.equal(['order.cancelled']);
  });

  it('cancels an order whose total is above PAYMENT_LIMIT_CENTS', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 5, priceCents: PAYMENT_LIMIT_CENTS / 2 + 1 });
    const { orderId } = await placeOrder(system, [{ sku: product.sku, quantity: 2 }]);

    const order = await settledOrder(system, orderId);
    expect(order.status).to.equal('CANCELLED');
    expect(order.totalCents).to.equal(PAYMENT_LIMIT_CENTS + 2);
    await effectsSettled(system, orderId, 'order.cancelled', product.sku);

    expect(await productOf(system, product.sku)).to.include({ available: 5, reserved: 0 });
    expect(await ledgerOf(system, orderId)).to.deep.equal([]);
  });

  it('refunds a cancelled confirmed order once and puts its stock back', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 8, priceCents: 2_000 });
    const { orderId } = await placeOrder(system, [{ sku: product.sku, quantity: 2 }]);
    expect((await settledOrder(system, orderId)).status).to.equal('CONFIRMED');
    await effectsSettled(system, orderId, 'order.confirmed', product.sku);
    expect(await productOf(system, product.sku)).to.include({ available: 6, reserved: 0 });

    const cancel = await system.request('orchestrator', 'POST', `/orders/${orderId}/cancel`);
    expect(cancel.status, cancel.text).to.equal(202);
    const cancellationSagaId = (cancel.body as { sagaId: string }).sagaId;

    await eventually(
      async () => {
        expect((await sagaOf(system, cancellationSagaId)).status).to.equal('COMPLETED');
        expect((await orderOf(system, orderId)).status).to.equal('CANCELLED');
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    await effectsSettled(system, orderId, 'order.refunded', product.sku);

    const ledger = await ledgerOf(system, orderId);
    expect(kinds(ledger)).to.deep.equal(['charge', 'refund']);
    expect(ledger.map((e) => e.amountCents)).to.deep.equal([4_000, 4_000]);
    expect(await productOf(system, product.sku)).to.include({ available: 8, reserved: 0 });
    expect(templates(await notificationsOf(system, orderId))).to.deep.equal(['order.confirmed', 'order.refunded']);

    const again = await system.request('orchestrator', 'POST', `/orders/${orderId}/cancel`);
    expect(again.status, again.text).to.equal(409);
    expect(kinds(await ledgerOf(system, orderId))).to.deep.equal(['charge', 'refund']);
  });

  it('refunds and restocks an order cancelled the moment it is confirmed, before its saga finished', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 4, priceCents: 2_500 });
    // A slow notification keeps the order saga running after the order is CONFIRMED.
    const slow = await system.request('notification', 'PUT', '/faults', { mode: 'delay', rate: 1, delayMs: 500 });
    expect(slow.status, slow.text).to.equal(200);
    try {
      const { orderId, sagaId } = await placeOrder(system, [{ sku: product.sku, quantity: 1 }]);
      await eventually(async () => expect((await orderOf(system, orderId)).status).to.equal('CONFIRMED'), {
        intervalMs: 10,
      });
      const cancel = await system.request('orchestrator', 'POST', `/orders/${orderId}/cancel`);
      expect(cancel.status, cancel.text).to.equal(202);
      const cancellationSagaId = (cancel.body as { sagaId: string }).sagaId;

      await eventually(
        async () => {
          expect((await sagaOf(system, sagaId)).status).to.equal('COMPLETED');
          expect((await sagaOf(system, cancellationSagaId)).status).to.equal('COMPLETED');
          expect((await orderOf(system, orderId)).status).to.equal('CANCELLED');
        },
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      await effectsSettled(system, orderId, 'order.refunded', product.sku);
      expect(kinds(await ledgerOf(system, orderId))).to.deep.equal(['charge', 'refund']);
      // The order saga's completion reaches the inventory after the release: the stock must stay back.
      await eventually(
        async () => expect(await productOf(system, product.sku)).to.include({ available: 4, reserved: 0 }),
        { timeoutMs: 5_000, intervalMs: 50 },
      );
      expect((await orderOf(system, orderId)).status).to.equal('CANCELLED');
    } finally {
      await system.request('notification', 'PUT', '/faults', { mode: 'none' });
    }
  });

  it('loses no order when the orchestrator and the payment service crash mid-saga', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 10, priceCents: 900 });

    await system.kill('payment');
    const before = await Promise.all([1, 2, 3].map(() => placeOrder(system, [{ sku: product.sku, quantity: 1 }])));
    // The charges wait in the payment queue; the sagas wait for their replies.
    await eventually(async () => {
      for (const { sagaId } of before) expect((await sagaOf(system, sagaId)).state).to.equal('charging');
    });
    await system.kill('orchestrator');
    await system.restart('payment');
    await system.restart('orchestrator');
    const after = await placeOrder(system, [{ sku: product.sku, quantity: 1 }]);

    for (const { orderId } of [...before, after]) {
      expect((await settledOrder(system, orderId, 20_000)).status).to.equal('CONFIRMED');
      await effectsSettled(system, orderId, 'order.confirmed', product.sku);
      expect(kinds(await ledgerOf(system, orderId))).to.deep.equal(['charge']);
    }
    expect(await productOf(system, product.sku)).to.include({ available: 6, reserved: 0 });
    expect(system.unexpectedExits()).to.deep.equal([]);
  });

  it('settles every order once when the broker cuts every connection mid-flow', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 30, priceCents: 300 });
    const vhost = decodeURIComponent(new URL(system.amqpUrl).pathname.slice(1));

    const placed = await Promise.all(
      Array.from({ length: 10 }, () => placeOrder(system, [{ sku: product.sku, quantity: 1 }])),
    );
    // Every service holds a connection; the orchestrator may hold two.
    await closeVhostConnections(vhost, { atLeast: 4 });
    const later = await Promise.all(
      Array.from({ length: 5 }, () => placeOrder(system, [{ sku: product.sku, quantity: 1 }])),
    );

    for (const { orderId } of [...placed, ...later]) {
      expect((await settledOrder(system, orderId, 30_000)).status).to.equal('CONFIRMED');
      expect(kinds(await ledgerOf(system, orderId))).to.deep.equal(['charge']);
    }
    await eventually(
      async () => expect(await productOf(system, product.sku)).to.include({ available: 15, reserved: 0 }),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    for (const { orderId } of [...placed, ...later]) {
      await eventually(async () =>
        expect(templates(await notificationsOf(system, orderId))).to.deep.equal(['order.confirmed']),
      );
    }
    expect(system.unexpectedExits()).to.deep.equal([]);
  });
});
