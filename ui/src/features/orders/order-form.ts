import type { CreateOrderRequest } from '@sagaflow/contracts';

export const TEST_CARDS = [
  { token: 'tok_visa', label: 'tok_visa — charged' },
  { token: 'tok_decline', label: 'tok_decline — declined' },
] as const;

export interface OrderForm {
  customerId: string;
  customerEmail: string;
  currency: string;
  token: string;
  /** Express orders' commands overtake standard ones waiting in the participants' queues. */
  priority: NonNullable<CreateOrderRequest['priority']>;
  /** Quantity per SKU; 0 leaves it out. */
  quantities: Record<string, number>;
}

/** The request the form makes, or the reasons it cannot be sent yet. */
export function orderRequestOf(form: OrderForm): { request: CreateOrderRequest } | { problems: string[] } {
  const problems: string[] = [];
  const items = Object.entries(form.quantities)
    .filter(([, q]) => q > 0)
    .map(([sku, quantity]) => ({ sku, quantity }));
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(form.customerId)) problems.push('customer id: letters, digits and . _ : - only');
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(form.customerEmail)) problems.push('customer email: not an address');
  if (!/^[A-Z]{3}$/.test(form.currency)) problems.push('currency: three capital letters');
  if (items.length === 0) problems.push('pick at least one product');
  if (items.some((i) => !Number.isInteger(i.quantity) || i.quantity > 10_000))
    problems.push('quantities: whole numbers up to 10000');
  if (problems.length) return { problems };
  return {
    request: {
      customerId: form.customerId,
      customerEmail: form.customerEmail,
      currency: form.currency,
      items,
      payment: { method: 'card', token: form.token },
      ...(form.priority === 'express' && { priority: form.priority }),
    },
  };
}
