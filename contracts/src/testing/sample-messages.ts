import { createMessage } from '../messaging/envelope.js';
import type { Message } from '../messages.js';

let counter = 0;

/** A valid `payment.charge` command; each call gets fresh ids unless given some. */
export function chargeCommand(
  options: { sagaId?: string; orderId?: string; amountCents?: number } = {},
): Message<'payment.charge'> {
  counter++;
  const orderId = options.orderId ?? `o-${counter}`;
  return createMessage(
    'payment.charge',
    {
      orderId,
      customerId: 'c-1',
      amountCents: options.amountCents ?? 1200,
      currency: 'EUR',
      method: 'card',
      token: 'tok_ok',
    },
    { sagaId: options.sagaId ?? `s-${counter}`, commandId: `cmd-${orderId}` },
  );
}
