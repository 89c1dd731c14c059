import { expect } from 'chai';
import type { Notification } from '@sagaflow/contracts';
import { startNotification, type MailSender, type OutgoingMail } from '../../src/index.js';
import { Harness, newId } from '../support/harness.js';
import { readEveryHttpPage } from '../support/record-pages.js';

describe('notification service', () => {
  let h: Harness;
  let sent: OutgoingMail[];

  beforeEach(async () => {
    sent = [];
    const recorder: MailSender = { send: async (mail) => void sent.push(mail) };
    h = await Harness.start((config) => startNotification({ ...config, mailSender: recorder }));
  });

  afterEach(async () => {
    await h.stop();
  });

  it('renders, sends once and lists a message', async () => {
    const orderId = newId('order');
    const payload = {
      orderId,
      template: 'order.confirmed' as const,
      to: 'ada@example.com',
      data: {
        currency: 'EUR',
        totalCents: 1250,
        lines: [{ sku: 'PEN-1', name: 'Pen', quantity: 1, unitPriceCents: 1250, lineTotalCents: 1250 }],
      },
    };
    const command = await h.send('notification.send', payload);
    await h.repliesTo(command);
    await h.bus.publish(command);
    const [a, b] = await h.repliesTo(command, 2);
    expect(b!.payload).to.deep.equal(a!.payload);
    // The same message asked for again under another command id is not sent again either.
    expect(await h.call('notification.send', payload)).to.deep.equal(a!.payload);
    expect(sent).to.have.length(1);
    expect(sent[0]!.subject).to.contain(orderId);
    expect(sent[0]!.text).to.contain('12.50 EUR').and.contain('Pen');
    const list = await h.http('GET', `/notifications?orderId=${orderId}`);
    const items = list.body.items as Notification[];
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ orderId, template: 'order.confirmed', to: 'ada@example.com' });
    expect(a!.payload).to.deep.equal({ outcome: 'success', result: { notificationId: items[0]!.notificationId } });
  });

  it('lists every notification a page at a time', async () => {
    const orderIds = [newId('order'), newId('order'), newId('order')];
    for (const orderId of orderIds) {
      const reply = await h.call('notification.send', {
        orderId,
        template: 'order.cancelled',
        to: 'ada@example.com',
        data: { currency: 'EUR' },
      });
      expect(reply.outcome).to.equal('success');
    }
    const all = (await readEveryHttpPage(h, '/notifications', 2)) as Notification[];
    expect(all.map((n) => n.orderId)).to.have.members(orderIds);
    expect(Object.keys(all[0]!).sort()).to.deep.equal(['createdAt', 'notificationId', 'orderId', 'template', 'to']);
  });
});
