import { randomUUID } from 'node:crypto';
import type { Payment } from '@sagaflow/contracts';
import { failure, success, type ReplyOf } from '../kit/inbox.js';

export const newPaymentId = (): string => `pay-${randomUUID()}`;

export const voidedReply = (orderId: string): ReplyOf<'payment.charge'> =>
  failure('order_voided', `order '${orderId}' was voided before it was charged`);

export const chargedReply = (charge: Payment): ReplyOf<'payment.charge'> =>
  success({ paymentId: charge.paymentId, amountCents: charge.amountCents, currency: charge.currency });

export const refundedReply = (refund: Payment): ReplyOf<'payment.refund'> =>
  success({ paymentId: refund.paymentId, amountCents: refund.amountCents });

export const voidReply = (): ReplyOf<'payment.refund'> => success({ paymentId: null, amountCents: 0 });
