import type { NotificationTemplate, SendNotification } from '@sagaflow/contracts';

export interface RenderedMail {
  subject: string;
  text: string;
}

const money = (cents: number, currency: string): string => `${(cents / 100).toFixed(2)} ${currency}`;

function linesOf(data: SendNotification['data']): string {
  if (!data.lines?.length) return '';
  const rows = data.lines.map(
    (l) => `  ${l.quantity} x ${l.name} (${l.sku})  ${money(l.lineTotalCents, data.currency)}`,
  );
  return `\n${rows.join('\n')}\n`;
}

const totalOf = (data: SendNotification['data']): string =>
  data.totalCents === undefined ? '' : `\nTotal: ${money(data.totalCents, data.currency)}\n`;

const TEMPLATES: Record<NotificationTemplate, (c: SendNotification) => RenderedMail> = {
  'order.confirmed': (c) => ({
    subject: `Your order ${c.orderId} is confirmed`,
    text: `Thank you for your order ${c.orderId}. We are getting it ready.\n${linesOf(c.data)}${totalOf(c.data)}`,
  }),
  'order.cancelled': (c) => ({
    subject: `Your order ${c.orderId} was cancelled`,
    text:
      `We could not complete your order ${c.orderId}` +
      `${c.data.reason ? `: ${c.data.reason}` : '.'}\nNothing was charged.\n${linesOf(c.data)}`,
  }),
  'order.refunded': (c) => ({
    subject: `Your order ${c.orderId} was refunded`,
    text:
      `Your order ${c.orderId} was cancelled and refunded.` +
      `${c.data.totalCents === undefined ? '' : ` ${money(c.data.totalCents, c.data.currency)} is on its way back to you.`}\n` +
      `${linesOf(c.data)}`,
  }),
};

/** Renders a notification command into the subject and text of its mail. */
export const renderNotification = (command: SendNotification): RenderedMail => TEMPLATES[command.template](command);
