import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { eventually, startTestSystem, type TestSystem } from '@sagaflow/contracts/testing';
import { OtlpCollector } from '../support/otlp-collector.js';
import { orderRequest } from '../support/test-stack.js';

describe('tracing: one trace per saga, exported over OTLP', function () {
  this.timeout(90_000);
  let collector: OtlpCollector;
  let started: TestSystem;

  before(async function () {
    this.timeout(90_000);
    collector = await OtlpCollector.start();
    started = await startTestSystem({
      prefix: 'trace',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, STEP_TIMEOUT_MS: '5000', RETRY_DELAYS_MS: '50,100' },
    });
  });

  after(async function () {
    this.timeout(30_000);
    await started?.cleanup();
    await collector?.stop();
  });

  it("continues the HTTP request's traceparent: a span for the saga and one per step, in one trace", async () => {
    const { system } = started;
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const products = (await system.request('inventory', 'GET', '/products')).body as { items: { sku: string }[] };
    const sku = products.items[0]!.sku;
    const placed = await system.request(
      'orchestrator',
      'POST',
      '/orders',
      orderRequest({ items: [{ sku, quantity: 1 }] }),
      {
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
    );
    expect(placed.status, placed.text).to.equal(202);
    const { orderId, sagaId } = placed.body as { orderId: string; sagaId: string };

    await eventually(
      async () => {
        const res = await system.request('orchestrator', 'GET', `/orders/${orderId}`);
        expect(res.body).to.include({ status: 'CONFIRMED', sagaStatus: 'COMPLETED' });
      },
      { timeoutMs: 30_000 },
    );

    const spans = await eventually(
      () => {
        const inTrace = collector.trace(traceId).filter((s) => s.service === 'orchestrator');
        expect(inTrace.map((s) => s.name)).to.include('order saga');
        return inTrace;
      },
      { timeoutMs: 15_000 },
    );
    expect(collector.requests.every((r) => r.path === '/v1/traces' && r.contentType.includes('json'))).to.equal(true);

    const sagaSpan = spans.find((s) => s.name === 'order saga')!;
    expect(sagaSpan.parentSpanId).to.equal(callerSpanId);
    expect(sagaSpan.attributes).to.include({ 'sagaflow.saga_id': sagaId, 'sagaflow.status': 'COMPLETED' });
    const steps = spans.filter((s) => s !== sagaSpan);
    expect(steps.map((s) => s.name)).to.deep.equal(['reserving', 'charging', 'notifyingConfirmed']);
    expect(steps.map((s) => s.attributes['sagaflow.command_type'])).to.deep.equal([
      'inventory.reserve',
      'payment.charge',
      'notification.send',
    ]);
    for (const step of steps) {
      expect(step.parentSpanId).to.equal(sagaSpan.spanId);
      expect(step.attributes).to.include({ 'sagaflow.saga_id': sagaId, 'sagaflow.outcome': 'success' });
      expect(step.startMs).to.be.at.least(sagaSpan.startMs).and.at.most(step.endMs);
      expect(step.endMs).to.be.at.most(sagaSpan.endMs);
    }
    // Each participant's handling of a step's command is a child of the step's span.
    const handled = await eventually(
      () => {
        const own = collector.trace(traceId).filter((s) => s.service !== 'orchestrator');
        expect(own).to.have.length(3);
        return own;
      },
      { timeoutMs: 15_000 },
    );
    for (const step of steps) {
      const child = handled.find((s) => s.parentSpanId === step.spanId);
      expect(child, step.name).to.not.equal(undefined);
      expect(child!.name).to.equal(step.attributes['sagaflow.command_type']);
      expect(child!.service).to.equal(child!.name.split('.')[0]);
      expect(child!.attributes).to.include({ 'sagaflow.saga_id': sagaId, 'sagaflow.outcome': 'success' });
    }

    // No other trace holds this saga's spans.
    const elsewhere = collector.spans.filter(
      (s) => s.attributes['sagaflow.saga_id'] === sagaId && s.traceId !== traceId,
    );
    expect(elsewhere).to.deep.equal([]);

    // The saga keeps the request's traceparent, for anyone who reads its timeline.
    const saga = (await system.request('orchestrator', 'GET', `/sagas/${sagaId}`)).body as {
      timeline: { kind: string; detail: Record<string, unknown> }[];
    };
    expect(saga.timeline[0]!.detail.traceparent).to.equal(`00-${traceId}-${callerSpanId}-01`);
  });

  it('starts a new trace when the request has no valid traceparent', async () => {
    const { system } = started;
    const products = (await system.request('inventory', 'GET', '/products')).body as { items: { sku: string }[] };
    const placed = await system.request(
      'orchestrator',
      'POST',
      '/orders',
      orderRequest({ items: [{ sku: products.items[0]!.sku, quantity: 1 }] }),
      { traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` },
    );
    const { sagaId } = placed.body as { sagaId: string };
    const saga = (await system.request('orchestrator', 'GET', `/sagas/${sagaId}`)).body as {
      timeline: { detail: Record<string, unknown> }[];
    };
    const traceparent = String(saga.timeline[0]!.detail.traceparent);
    expect(traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceparent.slice(3, 35)).to.not.equal('0'.repeat(32));
    await eventually(
      () => {
        expect(collector.trace(traceparent.slice(3, 35)).map((s) => s.name)).to.include('order saga');
      },
      { timeoutMs: 30_000 },
    );
  });
});
