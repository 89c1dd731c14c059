import { expect } from 'chai';
import type { Payment } from '@sagaflow/contracts';
import { decideCharge, decideRefund, orderPaymentsOf, type OrderPayments } from '../../src/payment/payment-rules.js';

const command = {
  orderId: 'o1',
  customerId: 'c',
  amountCents: 700,
  currency: 'EUR',
  method: 'card' as const,
  token: 't',
};
const entry = (kind: Payment['kind'], amountCents = 700): Payment => ({
  paymentId: `pay-${kind}`,
  orderId: 'o1',
  kind,
  amountCents,
  currency: 'EUR',
  createdAt: '2026-12-01T00:00:00.000Z',
});
const fresh: OrderPayments = { voided: false, charge: null, refund: null };
const charged: OrderPayments = { ...fresh, charge: entry('charge') };

describe('payment decisions', () => {
  describe('charge', () => {
    it('charges a fresh order the command amount, under the given payment id', () => {
      expect(decideCharge(fresh, command, null, 'pay-new')).to.deep.equal({
        reply: { outcome: 'success', result: { paymentId: 'pay-new', amountCents: 700, currency: 'EUR' } },
        duplicate: false,
        write: {
          entry: { paymentId: 'pay-new', orderId: 'o1', kind: 'charge', amountCents: 700, currency: 'EUR' },
        },
      });
    });

    it('answers an order already charged with its charge and writes nothing', () => {
      const decision = decideCharge(charged, { ...command, amountCents: 900 }, null, 'pay-new');
      expect(decision).to.deep.equal({
        reply: { outcome: 'success', result: { paymentId: 'pay-charge', amountCents: 700, currency: 'EUR' } },
        duplicate: true,
      });
    });

    it('refuses a voided order, even when the gateway would accept', () => {
      const decision = decideCharge({ ...fresh, voided: true }, command, null, 'pay-new');
      expect(decision.write).to.equal(undefined);
      expect(decision.reply).to.have.nested.property('reason.code', 'order_voided');
      expect(decision.duplicate).to.equal(false);
    });

    it('records a decline as the reply, moving no money', () => {
      const reason = { code: 'card_declined' as const, message: 'no' };
      expect(decideCharge(fresh, command, reason, 'pay-new')).to.deep.equal({
        reply: { outcome: 'failure', reason },
        duplicate: false,
      });
    });
  });

  describe('refund', () => {
    it('refunds exactly what was charged', () => {
      expect(decideRefund({ ...fresh, charge: entry('charge', 450) }, 'o1', 'pay-new')).to.deep.equal({
        reply: { outcome: 'success', result: { paymentId: 'pay-new', amountCents: 450 } },
        duplicate: false,
        write: { entry: { paymentId: 'pay-new', orderId: 'o1', kind: 'refund', amountCents: 450, currency: 'EUR' } },
      });
    });

    it('refunds only once: a refunded order gets its refund again and no write', () => {
      expect(decideRefund({ ...charged, refund: entry('refund') }, 'o1', 'pay-new')).to.deep.equal({
        reply: { outcome: 'success', result: { paymentId: 'pay-refund', amountCents: 700 } },
        duplicate: true,
      });
    });

    it('voids an order with nothing charged, once', () => {
      const voided = decideRefund(fresh, 'o1', 'pay-new');
      expect(voided).to.deep.equal({
        reply: { outcome: 'success', result: { paymentId: null, amountCents: 0 } },
        duplicate: false,
        write: { void: true },
      });
      expect(decideRefund({ ...fresh, voided: true }, 'o1', 'pay-new')).to.deep.equal({
        reply: voided.reply,
        duplicate: true,
      });
    });
  });

  it('reads an order ledger into the state decisions take', () => {
    expect(orderPaymentsOf(true, [entry('refund'), entry('charge')])).to.deep.equal({
      voided: true,
      charge: entry('charge'),
      refund: entry('refund'),
    });
    expect(orderPaymentsOf(false, [])).to.deep.equal(fresh);
  });
});
