import { expect } from 'chai';
import type { Payment } from '@sagaflow/contracts';
import { startPayment } from '../../src/index.js';
import { chargePayload, Harness, newId } from '../support/harness.js';
import { readEveryHttpPage } from '../support/record-pages.js';

describe('payment service', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await Harness.start((config) => startPayment({ ...config, limitCents: 10_000 }));
  });

  afterEach(async () => {
    await h.stop();
  });

  const charge = chargePayload;
  const ledger = async (orderId: string) =>
    (await h.http('GET', `/payments?orderId=${orderId}`)).body.items as Payment[];

  it('charges an order once and lists it in the ledger', async () => {
    const orderId = newId('order');
    const reply = await h.call('payment.charge', charge(orderId));
    expect(reply.outcome).to.equal('success');
    if (reply.outcome !== 'success') return;
    expect(reply.result).to.include({ amountCents: 4200, currency: 'EUR' });
    const again = await h.call('payment.charge', charge(orderId));
    expect(again).to.deep.equal(reply);
    const items = await ledger(orderId);
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ paymentId: reply.result.paymentId, orderId, kind: 'charge', amountCents: 4200 });
    expect(Date.parse(items[0]!.createdAt)).to.be.a('number').and.not.NaN;
  });

  it('declines tok_decline and amounts above the limit, moving no money', async () => {
    const declined = newId('order');
    expect(await h.call('payment.charge', charge(declined, { token: 'tok_decline' }))).to.have.nested.property(
      'reason.code',
      'card_declined',
    );
    const tooMuch = newId('order');
    expect(await h.call('payment.charge', charge(tooMuch, { amountCents: 10_001 }))).to.have.nested.property(
      'reason.code',
      'insufficient_funds',
    );
    expect(await h.call('payment.charge', charge(newId('order'), { amountCents: 10_000 }))).to.have.property(
      'outcome',
      'success',
    );
    expect(await ledger(declined)).to.deep.equal([]);
    expect(await ledger(tooMuch)).to.deep.equal([]);
  });

  it('refunds a charge once', async () => {
    const orderId = newId('order');
    await h.call('payment.charge', charge(orderId));
    const refund = await h.call('payment.refund', { orderId });
    expect(refund).to.have.nested.property('result.amountCents', 4200);
    const again = await h.call('payment.refund', { orderId });
    expect(again).to.deep.equal(refund);
    expect((await ledger(orderId)).map((p) => [p.kind, p.amountCents])).to.deep.equal([
      ['charge', 4200],
      ['refund', 4200],
    ]);
  });

  it('voids an order refunded before its charge: the late charge fails with order_voided', async () => {
    const orderId = newId('order');
    expect(await h.call('payment.refund', { orderId })).to.deep.equal({
      outcome: 'success',
      result: { paymentId: null, amountCents: 0 },
    });
    expect(await h.call('payment.charge', charge(orderId))).to.have.nested.property('reason.code', 'order_voided');
    expect(await ledger(orderId)).to.deep.equal([]);
  });

  it('answers a duplicate command with the same reply and one ledger row', async () => {
    const orderId = newId('order');
    const command = await h.send('payment.charge', charge(orderId));
    await h.repliesTo(command);
    await h.bus.publish(command);
    const [a, b] = await h.repliesTo(command, 2);
    expect(b!.payload).to.deep.equal(a!.payload);
    expect(await ledger(orderId)).to.have.length(1);
  });

  it("lists one order's payments, or every payment a page at a time", async () => {
    expect((await h.http('GET', '/payments?orderId=bad%20id')).status).to.equal(400);
    const orderIds = [newId('order'), newId('order'), newId('order')];
    for (const orderId of orderIds)
      expect((await h.call('payment.charge', charge(orderId))).outcome).to.equal('success');
    await h.call('payment.refund', { orderId: orderIds[0]! });
    const all = (await readEveryHttpPage(h, '/payments', 3)) as Payment[];
    expect(all.map((p) => [p.orderId, p.kind])).to.have.deep.members([
      [orderIds[0], 'charge'],
      [orderIds[0], 'refund'],
      [orderIds[1], 'charge'],
      [orderIds[2], 'charge'],
    ]);
    expect((await h.http('GET', '/payments')).body).to.deep.equal({ items: all, next: null });
    const oneOrder = (await h.http('GET', `/payments?orderId=${orderIds[0]}`)).body.items as Payment[];
    expect(oneOrder.map((p) => p.kind)).to.deep.equal(['charge', 'refund']);
    expect(oneOrder).to.have.deep.members(all.filter((p) => p.orderId === orderIds[0]));
  });
});
