import { expect } from 'chai';
import { openPaymentStore, type PaymentStore } from '../../src/index.js';
import { readEveryPage } from '../support/record-pages.js';
import { STORE_BACKENDS, type TestDatabase } from '../support/store-backends.js';

const charge = (orderId: string) => ({
  orderId,
  customerId: 'c',
  amountCents: 700,
  currency: 'EUR',
  method: 'card' as const,
  token: 't',
});
const chargeKey = (commandId: string) => ({ commandId, commandType: 'payment.charge' as const });
const refundKey = (commandId: string) => ({ commandId, commandType: 'payment.refund' as const });

for (const backend of STORE_BACKENDS) {
  describe(`PaymentStore contract (${backend.name})`, function () {
    let db: TestDatabase;
    let store: PaymentStore;

    before(function () {
      if (backend.unavailable) this.skip();
    });

    beforeEach(async () => {
      db = await backend.create();
      store = await openPaymentStore(db.url);
    });

    afterEach(async () => {
      await store?.close();
      await db?.drop();
    });

    it('charges an order once, whatever the command id', async () => {
      const first = await store.charge(chargeKey('c1'), charge('o1'), null);
      expect(first.duplicate).to.equal(false);
      expect(first.reply).to.have.nested.property('result.amountCents', 700);
      const second = await store.charge(chargeKey('c2'), charge('o1'), null);
      expect(second).to.deep.equal({ reply: first.reply, duplicate: true });
      expect(await store.findReply('c1')).to.deep.equal({ commandType: 'payment.charge', reply: first.reply });
      expect(await store.listByOrder('o1')).to.have.length(1);
    });

    it('lists every ledger entry a page at a time, each once, in payment id order', async () => {
      expect(await store.listPayments({ after: null, limit: 10 })).to.deep.equal({ items: [], next: null });
      for (let n = 0; n < 5; n++) await store.charge(chargeKey(`lc${n}`), charge(`lo${n}`), null);
      await store.refund(refundKey('lr0'), { orderId: 'lo0' });
      await store.charge(chargeKey('ld'), charge('declined'), { code: 'card_declined', message: 'no' });
      const { items, pages } = await readEveryPage((request) => store.listPayments(request), 2);
      expect(pages).to.equal(3);
      const ids = items.map((p) => p.paymentId);
      expect(ids)
        .to.deep.equal([...ids].sort())
        .and.to.have.length(6);
      expect(new Set(ids).size).to.equal(6);
      const byOrder = [...(await Promise.all(['lo0', 'lo1', 'lo2', 'lo3', 'lo4'].map((o) => store.listByOrder(o))))];
      expect(items).to.have.deep.members(byOrder.flat());
      expect((await store.listPayments({ after: ids[5]!, limit: 2 })).items).to.deep.equal([]);
    });

    it('records a decline as a reply, moving no money', async () => {
      const declined = await store.charge(chargeKey('c3'), charge('o2'), { code: 'card_declined', message: 'no' });
      expect(declined.reply).to.deep.equal({ outcome: 'failure', reason: { code: 'card_declined', message: 'no' } });
      expect(await store.listByOrder('o2')).to.deep.equal([]);
    });

    it('refunds once, and voids an order with nothing charged', async () => {
      await store.charge(chargeKey('c4'), charge('o3'), null);
      const refund = await store.refund(refundKey('r1'), { orderId: 'o3' });
      expect(refund.reply).to.have.nested.property('result.amountCents', 700);
      expect((await store.refund(refundKey('r2'), { orderId: 'o3' })).reply).to.deep.equal(refund.reply);
      expect((await store.listByOrder('o3')).map((p) => p.kind)).to.deep.equal(['charge', 'refund']);

      const voided = await store.refund(refundKey('r3'), { orderId: 'o4' });
      expect(voided.reply).to.deep.equal({ outcome: 'success', result: { paymentId: null, amountCents: 0 } });
      const late = await store.charge(chargeKey('c5'), charge('o4'), null);
      expect(late.reply).to.have.nested.property('reason.code', 'order_voided');
      expect(await store.listByOrder('o4')).to.deep.equal([]);
    });

    it('never charges twice under concurrent commands for one order', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.charge(chargeKey(`cc${i}`), charge('o5'), null)),
      );
      for (const r of results) expect(r.reply).to.deep.equal(results[0]!.reply);
      expect(await store.listByOrder('o5')).to.have.length(1);
    });

    it('never leaves money charged, nor moves it twice, when charges and refunds of one order race', async () => {
      for (let n = 0; n < 5; n++) {
        const orderId = `race${n}`;
        await Promise.all([
          store.charge(chargeKey(`rc${n}a`), charge(orderId), null),
          store.refund(refundKey(`rf${n}a`), { orderId }),
          store.charge(chargeKey(`rc${n}b`), charge(orderId), null),
          store.refund(refundKey(`rf${n}b`), { orderId }),
        ]);
        // A refund first voids the order (no money moves); a charge first is refunded: one of each, no more.
        const kinds = (await store.listByOrder(orderId)).map((p) => p.kind).sort();
        expect(kinds.join(), `order ${orderId}`).to.be.oneOf(['', 'charge,refund']);
      }
    });
  });
}
