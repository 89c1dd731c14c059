import { expect } from 'chai';
import { EXCHANGES, HEADERS, QUEUES, sagaEventKey, type Message, type PayloadOf } from '@sagaflow/contracts';
import { createMessage } from '@sagaflow/contracts/messaging';
import { eventually } from '@sagaflow/contracts/testing';
import type { Product, Reservation } from '@sagaflow/contracts';
import { startInventory } from '../../src/index.js';
import { deadLettersOf } from '../support/dead-letters.js';
import { Harness, newId } from '../support/harness.js';
import { readEveryHttpPage } from '../support/record-pages.js';

const CATALOGUE = [
  { sku: 'PEN-1', name: 'Pen', priceCents: 150, available: 10 },
  { sku: 'BOOK-1', name: 'Book', priceCents: 2500, available: 3 },
  { sku: 'LOW-1', name: 'Almost gone', priceCents: 100, available: 6 },
];

type ReserveReply = PayloadOf<'inventory.reserve.reply'>;

describe('inventory service', function () {
  let h: Harness;
  const lowEvents: Message[] = [];

  beforeEach(async () => {
    lowEvents.length = 0;
    h = await Harness.start((config) => startInventory({ ...config, lowStockThreshold: 5, seed: CATALOGUE }));
    await h.bus.listen(EXCHANGES.events, 'inventory.low', (m) => lowEvents.push(m));
  });

  afterEach(async () => {
    await h.stop();
  });

  const product = async (sku: string) => (await h.http('GET', `/products/${sku}`)).body as unknown as Product;

  it('seeds its catalogue without overwriting what exists', async () => {
    const list = await h.http('GET', '/products');
    expect(list.status).to.equal(200);
    expect((list.body.items as Product[]).map((p) => p.sku)).to.deep.equal(['BOOK-1', 'LOW-1', 'PEN-1']);
    await h.http('PUT', '/products/PEN-1', { available: 99 });
    const again = await startInventory({
      amqpUrl: h.vhost.url,
      storeUrl: h.schema.url,
      port: 0,
      retryDelaysMs: [20],
      lowStockThreshold: 5,
      seed: CATALOGUE,
    });
    await again.stop();
    expect((await product('PEN-1')).available).to.equal(99);
  });

  it('reserves all lines, prices them from the catalogue and replies the total', async () => {
    const orderId = newId('order');
    const reply = await h.call('inventory.reserve', {
      orderId,
      items: [
        { sku: 'PEN-1', quantity: 4 },
        { sku: 'BOOK-1', quantity: 2 },
      ],
    });
    expect(reply).to.deep.equal({
      outcome: 'success',
      result: {
        lines: [
          { sku: 'PEN-1', name: 'Pen', quantity: 4, unitPriceCents: 150, lineTotalCents: 600 },
          { sku: 'BOOK-1', name: 'Book', quantity: 2, unitPriceCents: 2500, lineTotalCents: 5000 },
        ],
        totalCents: 5600,
      },
    });
    expect(await product('PEN-1')).to.include({ available: 6, reserved: 4 });
    expect(await product('BOOK-1')).to.include({ available: 1, reserved: 2 });
  });

  it("lists reservations in every state, one order's or all of them a page at a time", async () => {
    const held = newId('order');
    const back = newId('order');
    await h.call('inventory.reserve', { orderId: held, items: [{ sku: 'PEN-1', quantity: 2 }] });
    await h.call('inventory.reserve', { orderId: back, items: [{ sku: 'BOOK-1', quantity: 1 }] });
    await h.call('inventory.release', { orderId: back });
    const all = (await readEveryHttpPage(h, '/reservations', 1)) as Reservation[];
    expect(all.map((r) => [r.orderId, r.state])).to.have.deep.members([
      [held, 'reserved'],
      [back, 'released'],
    ]);
    const one = (await h.http('GET', `/reservations?orderId=${held}`)).body.items as Reservation[];
    expect(one).to.deep.equal(all.filter((r) => r.orderId === held));
    expect(one[0]).to.deep.include({ totalCents: 300 });
    expect(Date.parse(one[0]!.createdAt)).to.be.closeTo(Date.now(), 60_000);
    expect((await h.http('GET', `/reservations?orderId=${newId('order')}`)).body).to.deep.equal({ items: [] });
  });

  it('reserves nothing when one line is out of stock, naming the sku', async () => {
    const reply = (await h.call('inventory.reserve', {
      orderId: newId('order'),
      items: [
        { sku: 'PEN-1', quantity: 1 },
        { sku: 'BOOK-1', quantity: 4 },
      ],
    })) as ReserveReply;
    expect(reply.outcome).to.equal('failure');
    if (reply.outcome !== 'failure') return;
    expect(reply.reason.code).to.equal('out_of_stock');
    expect(reply.reason.message).to.contain('BOOK-1');
    expect(await product('PEN-1')).to.include({ available: 10, reserved: 0 });
  });

  it('fails an unknown sku', async () => {
    const reply = await h.call('inventory.reserve', { orderId: newId('order'), items: [{ sku: 'NOPE', quantity: 1 }] });
    expect(reply).to.have.nested.property('reason.code', 'unknown_sku');
  });

  it('releases exactly what the order reserved, once', async () => {
    const orderId = newId('order');
    await h.call('inventory.reserve', {
      orderId,
      items: [
        { sku: 'PEN-1', quantity: 3 },
        { sku: 'PEN-1', quantity: 2 },
      ],
    });
    expect(await product('PEN-1')).to.include({ available: 5, reserved: 5 });
    const first = await h.call('inventory.release', { orderId });
    expect(first).to.deep.equal({ outcome: 'success', result: { released: [{ sku: 'PEN-1', quantity: 5 }] } });
    const second = await h.call('inventory.release', { orderId });
    expect(second).to.deep.equal({ outcome: 'success', result: { released: [] } });
    expect(await product('PEN-1')).to.include({ available: 10, reserved: 0 });
    const unknown = await h.call('inventory.release', { orderId: newId('order') });
    expect(unknown).to.deep.equal({ outcome: 'success', result: { released: [] } });
  });

  it('refuses a reserve that arrives after its order was released', async () => {
    const orderId = newId('order');
    await h.call('inventory.release', { orderId });
    const late = await h.call('inventory.reserve', { orderId, items: [{ sku: 'PEN-1', quantity: 1 }] });
    expect(late).to.have.nested.property('reason.code', 'order_voided');
    expect(await product('PEN-1')).to.include({ available: 10, reserved: 0 });
  });

  it('commits a completed order: the reserved stock is sold', async () => {
    const orderId = newId('order');
    await h.call('inventory.reserve', { orderId, items: [{ sku: 'BOOK-1', quantity: 2 }] });
    const completed = createMessage('saga.changed', {
      sagaId: newId('saga'),
      type: 'order',
      status: 'COMPLETED',
      state: 'completed',
      orderId,
      version: 4,
      updatedAt: new Date().toISOString(),
      entries: [],
    });
    const route = { exchange: EXCHANGES.events, routingKey: sagaEventKey('order', 'COMPLETED') };
    await h.bus.publish(completed, route);
    await h.bus.publish(completed, route);
    await eventually(async () => expect(await product('BOOK-1')).to.include({ available: 1, reserved: 0 }));
    // A cancellation after completion gives the sold stock back.
    expect(await h.call('inventory.release', { orderId })).to.have.nested.property('result.released[0].quantity', 2);
    expect(await product('BOOK-1')).to.include({ available: 3, reserved: 0 });
  });

  it('never oversells: 60 concurrent one-unit orders for 20 units', async () => {
    await h.http('PUT', '/products/HOT-1', { name: 'Hot item', priceCents: 999, available: 20 });
    const commands = await Promise.all(
      Array.from({ length: 60 }, () =>
        h.send('inventory.reserve', { orderId: newId('order'), items: [{ sku: 'HOT-1', quantity: 1 }] }),
      ),
    );
    const replies = await Promise.all(commands.map((c) => h.replyTo(c)));
    expect(replies.filter((r) => r.outcome === 'success')).to.have.length(20);
    expect(replies.filter((r) => r.outcome === 'failure' && r.reason.code === 'out_of_stock')).to.have.length(40);
    expect(await product('HOT-1')).to.include({ available: 0, reserved: 20 });
  });

  it('answers a duplicate command with the same reply and applies it once', async () => {
    const payload = { orderId: newId('order'), items: [{ sku: 'PEN-1', quantity: 2 }] };
    const first = await h.send('inventory.reserve', payload);
    await h.repliesTo(first);
    await h.bus.publish(first);
    const [a, b] = await h.repliesTo(first, 2);
    expect(b!.payload).to.deep.equal(a!.payload);
    // Another command id for the same order does not reserve twice either.
    const again = await h.call('inventory.reserve', payload);
    expect(again).to.deep.equal(a!.payload);
    expect(await product('PEN-1')).to.include({ available: 8, reserved: 2 });
    const metrics = await fetch(h.url('/metrics')).then((r) => r.text());
    expect(metrics).to.match(/sagaflow_participant_duplicate_commands_total\{[^}]*type="inventory.reserve"[^}]*\} 2/);
  });

  it('publishes inventory.low when a product falls below the threshold', async () => {
    await h.call('inventory.reserve', { orderId: newId('order'), items: [{ sku: 'LOW-1', quantity: 2 }] });
    await eventually(() =>
      expect(lowEvents.map((e) => e.payload)).to.deep.equal([{ sku: 'LOW-1', available: 4, threshold: 5 }]),
    );
    expect(lowEvents[0]!.type).to.equal('inventory.low');
  });

  it('dead-letters a command it does not handle', async () => {
    const wrong = createMessage('payment.refund', { orderId: 'o-1' }, { sagaId: 's-1', commandId: newId('cmd') });
    await h.bus.publish(wrong, { exchange: EXCHANGES.commands, routingKey: 'inventory.reserve' });
    const dead = await eventually(async () => {
      const letters = await deadLettersOf(h.vhost.name, QUEUES.inventory);
      expect(letters).to.have.length(1);
      return letters[0]!;
    });
    expect(JSON.parse(dead.payload)).to.include({ messageId: wrong.messageId });
    expect(JSON.parse(String(dead.headers[HEADERS.error]))).to.include({
      type: 'unsupported_command',
      retryable: false,
    });
  });

  describe('HTTP', () => {
    it('creates and updates a product', async () => {
      const created = await h.http('PUT', '/products/NEW-1', { name: 'New', priceCents: 500, available: 7 });
      expect(created.status).to.equal(201);
      expect(created.body).to.deep.equal({ sku: 'NEW-1', name: 'New', priceCents: 500, available: 7, reserved: 0 });
      const updated = await h.http('PUT', '/products/NEW-1', { priceCents: 450 });
      expect(updated.status).to.equal(200);
      expect(updated.body).to.include({ name: 'New', priceCents: 450, available: 7 });
    });

    it('answers bad input with a 4xx and a reason', async () => {
      const incomplete = await h.http('PUT', '/products/NEW-2', { available: 3 });
      expect(incomplete.status).to.equal(400);
      expect(incomplete.body.error).to.equal('validation_failed');
      expect((await h.http('GET', '/products/NEW-2')).status).to.equal(404);
      const negative = await h.http('PUT', '/products/PEN-1', { available: -1 });
      expect(negative.status).to.equal(400);
      expect(negative.body.details).to.be.an('array').that.is.not.empty;
      const unknownField = await h.http('PUT', '/products/PEN-1', { colour: 'red' });
      expect(unknownField.status).to.equal(400);
      expect((await h.http('PUT', '/products/PEN-1', {})).status).to.equal(400);
      expect((await h.http('PUT', '/products/bad%20sku', { available: 1 })).status).to.equal(400);
      const broken = await h.http('PUT', '/products/PEN-1', '{"available": ');
      expect(broken.status).to.equal(400);
      expect(broken.body.error).to.equal('invalid_json');
      const text = await h.http('PUT', '/products/PEN-1', 'available=1', { 'content-type': 'text/plain' });
      expect(text.status).to.equal(415);
      const huge = await h.http('PUT', '/products/PEN-1', { name: 'x'.repeat(200_000) });
      expect(huge.status).to.equal(413);
      const missing = await h.http('GET', '/nowhere');
      expect(missing.status).to.equal(404);
      expect(missing.body.error).to.equal('not_found');
      expect((await product('PEN-1')).available).to.equal(10);
    });
  });
});
