import { expect } from 'chai';
import type { Orchestrator } from '../../src/orchestrator.js';
import { ScriptedParticipants } from '../support/scripted-participants.js';
import { http, orderRequest, TestStack } from '../support/test-stack.js';

describe('HTTP API: bad input gets a 4xx with a reason', function () {
  this.timeout(20_000);
  let stack: TestStack;
  let orchestrator: Orchestrator;
  let participants: ScriptedParticipants;

  before(async () => {
    stack = await TestStack.create();
    participants = await ScriptedParticipants.start(stack.vhost.url);
    orchestrator = await stack.orchestrator({ apiToken: 'sesame' });
  });

  after(async () => {
    await participants.stop();
    await stack.cleanup();
  });

  const auth = { authorization: 'Bearer sesame' };
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    http(orchestrator.url, 'POST', '/orders', body, { ...auth, ...headers });

  it('rejects an invalid order with every issue', async () => {
    const res = await post(orderRequest({ currency: 'euro', items: [], extra: true }));
    expect(res.status).to.equal(400);
    expect(res.body.error).to.equal('validation_failed');
    const messages = res.body.details
      .map((d: { path: string; message: string }) => `${d.path} ${d.message}`)
      .join('\n');
    expect(messages)
      .to.match(/unknown field 'extra'/)
      .and.match(/\/currency/)
      .and.match(/\/items/);
  });

  it('rejects malformed JSON, other media types and oversized bodies', async () => {
    expect((await post('{"customerId":')).body.error).to.equal('invalid_json');
    const form = await http(orchestrator.url, 'POST', '/orders', undefined, auth);
    expect(form.status).to.equal(400);
    const text = await fetch(`${orchestrator.url}/orders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).to.equal(415);
    const big = await post(orderRequest({ customerId: 'x'.repeat(100_000) }));
    expect(big.status).to.equal(413);
  });

  it('requires the bearer token on mutating routes only', async () => {
    const res = await http(orchestrator.url, 'POST', '/orders', orderRequest());
    expect(res.status).to.equal(401);
    expect(
      (await http(orchestrator.url, 'POST', '/orders', orderRequest(), { authorization: 'Bearer nope' })).status,
    ).to.equal(401);
    expect((await http(orchestrator.url, 'POST', '/sagas/x/retry')).status).to.equal(401);
    expect((await http(orchestrator.url, 'GET', '/orders')).status).to.equal(200);
  });

  it('answers 404 for unknown orders, sagas and routes, 409 for a refused action', async () => {
    expect((await http(orchestrator.url, 'GET', '/orders/nope')).status).to.equal(404);
    expect((await http(orchestrator.url, 'GET', '/sagas/nope')).status).to.equal(404);
    expect((await http(orchestrator.url, 'GET', '/nowhere')).body.error).to.equal('not_found');
    expect((await http(orchestrator.url, 'POST', '/sagas/nope/compensate', undefined, auth)).status).to.equal(404);
    const { body } = await post(orderRequest());
    const cancel = await http(orchestrator.url, 'POST', `/orders/${body.orderId}/cancel`, undefined, auth);
    expect(cancel.status).to.equal(409);
    expect(cancel.body.error).to.equal('order_not_confirmed');
  });

  it('validates list queries', async () => {
    expect((await http(orchestrator.url, 'GET', '/orders?limit=0')).status).to.equal(400);
    expect((await http(orchestrator.url, 'GET', '/orders?status=LOST')).status).to.equal(400);
    expect((await http(orchestrator.url, 'GET', '/sagas?bogus=1')).status).to.equal(400);
    expect((await http(orchestrator.url, 'GET', '/sagas?limit=2&type=order')).status).to.equal(200);
  });

  it('makes concurrent requests with one Idempotency-Key a single order', async () => {
    const key = `key-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => post(orderRequest(), { 'idempotency-key': key })),
    );
    expect(results.map((r) => r.status)).to.deep.equal(Array(10).fill(202));
    expect(new Set(results.map((r) => r.body.orderId)).size).to.equal(1);
    const reused = await post(orderRequest({ customerId: 'someone-else' }), { 'idempotency-key': key });
    expect(reused.status).to.equal(409);
    expect(reused.body.error).to.equal('idempotency_key_reused');
  });

  it('keeps the request hash of a keyed order only, the one a later request may be compared with', async () => {
    const keyed = await post(orderRequest(), { 'idempotency-key': `key-hash-${Date.now()}` });
    const unkeyed = await post(orderRequest());
    expect((await orchestrator.store.getOrder(keyed.body.orderId))!.requestHash).to.match(/^[0-9a-f]{64}$/);
    expect((await orchestrator.store.getOrder(unkeyed.body.orderId))!.requestHash).to.equal(null);
  });

  it('takes the same request with its keys in another order as a replay, not a reused key', async () => {
    const key = `key-order-${Date.now()}`;
    const request = orderRequest({ payment: { method: 'card', token: 'tok_visa' } });
    const first = await post(request, { 'idempotency-key': key });
    const reordered = Object.fromEntries(Object.entries(request).reverse());
    reordered.payment = { token: 'tok_visa', method: 'card' };
    expect(JSON.stringify(reordered)).to.not.equal(JSON.stringify(request));
    const again = await post(reordered, { 'idempotency-key': key });
    expect(first.status).to.equal(202);
    expect(again.status).to.equal(202);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.body.orderId).to.equal(first.body.orderId);
  });

  it('takes an optional priority, standard by default, and shows it on the order and in listings', async () => {
    const customerId = `priority-${Date.now()}`;
    const plain = await post(orderRequest({ customerId }));
    const fast = await post(orderRequest({ customerId, priority: 'express' }));
    expect([plain.status, fast.status]).to.deep.equal([202, 202]);
    expect((await http(orchestrator.url, 'GET', `/orders/${plain.body.orderId}`)).body.priority).to.equal('standard');
    expect((await http(orchestrator.url, 'GET', `/orders/${fast.body.orderId}`)).body.priority).to.equal('express');
    const listed = await http(orchestrator.url, 'GET', `/orders?customerId=${customerId}`);
    expect(listed.body.items.map((o: { priority: string }) => o.priority)).to.deep.equal(['express', 'standard']);
    expect((await orchestrator.store.getSaga(fast.body.sagaId))!.priority).to.equal('express');
  });

  it('rejects an unknown priority with the field named and the values it takes', async () => {
    for (const priority of ['urgent', 2, null]) {
      const res = await post(orderRequest({ priority }));
      expect(res.status, String(priority)).to.equal(400);
      expect(res.body.error).to.equal('validation_failed');
      expect(res.body.details, String(priority)).to.deep.equal([
        { path: '/priority', message: 'must be one of "standard", "express"' },
      ]);
    }
  });

  it('takes a key reused with another priority as a reused key, and naming standard as naming none', async () => {
    const key = `key-priority-${Date.now()}`;
    const first = await post(orderRequest(), { 'idempotency-key': key });
    const same = await post(orderRequest({ priority: 'standard' }), { 'idempotency-key': key });
    expect(same.status).to.equal(202);
    expect(same.body.orderId).to.equal(first.body.orderId);
    const other = await post(orderRequest({ priority: 'express' }), { 'idempotency-key': key });
    expect(other.status).to.equal(409);
    expect(other.body.error).to.equal('idempotency_key_reused');
  });

  it('pages orders newest first, orders created in the same millisecond by id', async () => {
    const customerId = `pager-${Date.now()}`;
    // Created together, so that several share a creation time and only the id can order them.
    const created = await Promise.all(Array.from({ length: 8 }, () => post(orderRequest({ customerId }))));
    const orders = await Promise.all(
      created.map(async ({ body }) => (await http(orchestrator.url, 'GET', `/orders/${body.orderId}`)).body),
    );
    const expected = orders
      .map((o: { orderId: string; createdAt: string }) => ({ id: o.orderId, at: Date.parse(o.createdAt) }))
      .sort((x, y) => y.at - x.at || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
      .map((o) => o.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { orderId: string }[]; next: string | null } } = await http(
        orchestrator.url,
        'GET',
        `/orders?customerId=${customerId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((o) => o.orderId));
      cursor = page.body.next;
    } while (cursor);
    expect(seen).to.have.length(8);
    expect(seen).to.deep.equal(expected);
  });

  it('reports health, readiness and metrics', async () => {
    expect((await http(orchestrator.url, 'GET', '/healthz')).status).to.equal(200);
    const ready = await http(orchestrator.url, 'GET', '/readyz');
    expect(ready.body).to.deep.equal({ status: 'ready', broker: 'ok', store: 'ok' });
    const metrics = await http(orchestrator.url, 'GET', '/metrics');
    expect(metrics.body)
      .to.include('sagaflow_sagas_started_total')
      .and.include('sagaflow_outbox_pending')
      .and.include('sagaflow_replies_ignored_total');
  });
});
