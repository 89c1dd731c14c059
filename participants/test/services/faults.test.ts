import { expect } from 'chai';
import { HEADERS, QUEUES } from '@sagaflow/contracts';
import { eventually } from '@sagaflow/contracts/testing';
import { FaultInjector, startPayment } from '../../src/index.js';
import { deadLettersOf } from '../support/dead-letters.js';
import { Harness, newId, TEST_RETRY_DELAYS_MS } from '../support/harness.js';

describe('fault injection', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await Harness.start((config) => startPayment({ ...config, limitCents: 100_000 }));
  });

  afterEach(async () => {
    await h.stop();
  });

  const charge = (orderId: string) => ({
    orderId,
    customerId: 'cust-1',
    amountCents: 100,
    currency: 'EUR',
    method: 'card' as const,
    token: 'tok_ok',
  });

  it('mode error retries a command through the delay queues, then dead-letters it', async () => {
    const put = await h.http('PUT', '/faults', { mode: 'error', rate: 1 });
    expect(put.status).to.equal(200);
    const command = await h.send('payment.charge', charge(newId('order')));
    const dead = await eventually(async () => {
      const letters = await deadLettersOf(h.vhost.name, QUEUES.payment);
      expect(letters).to.have.length(1);
      return letters[0]!;
    });
    expect(JSON.parse(dead.payload)).to.include({ commandId: command.commandId });
    expect(dead.headers[HEADERS.reason]).to.equal('retries_exhausted');
    expect(dead.headers[HEADERS.attempts]).to.equal(TEST_RETRY_DELAYS_MS.length + 1);
    expect(JSON.parse(String(dead.headers[HEADERS.error]))).to.include({ type: 'injected_fault', retryable: true });
    expect(h.replies.filter((r) => r.commandId === command.commandId)).to.deep.equal([]);
    const metrics = await fetch(h.url('/metrics')).then((r) => r.text());
    expect(metrics).to.match(/sagaflow_participant_injected_faults_total\{[^}]*mode="error"[^}]*\} 3/);

    expect((await h.http('PUT', '/faults', { mode: 'none' })).status).to.equal(200);
    expect(await h.call('payment.charge', charge(newId('order')))).to.have.property('outcome', 'success');
  });

  it('mode delay holds a command before it runs', async () => {
    await h.http('PUT', '/faults', { mode: 'delay', delayMs: 300 });
    const started = Date.now();
    expect(await h.call('payment.charge', charge(newId('order')))).to.have.property('outcome', 'success');
    expect(Date.now() - started).to.be.at.least(300);
  });

  it('mode crash lets the effect run and ends the process only after it, with probability rate', async () => {
    const crashes: number[] = [];
    const rolls = [0.2, 0.7];
    const faults = new FaultInjector(
      () => rolls.shift()!,
      () => crashes.push(Date.now()),
    );
    faults.configure({ mode: 'crash', rate: 0.5 });
    expect(await faults.apply(), 'nothing happens before the effect').to.equal(null);
    faults.crashAfterCommit();
    expect(crashes).to.have.length(1);
    faults.crashAfterCommit();
    expect(crashes, 'a roll above the rate spares it').to.have.length(1);
  });

  it('rejects bad fault settings with a reason', async () => {
    for (const body of [{ mode: 'explode' }, { mode: 'error', rate: 2 }, { mode: 'delay', delayMs: -1 }, {}]) {
      const response = await h.http('PUT', '/faults', body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect(response.body.error).to.equal('validation_failed');
      expect(response.body.details).to.be.an('array').that.is.not.empty;
    }
    expect((await h.http('GET', '/faults')).body).to.include({ mode: 'none' });
    expect((await h.http('GET', '/healthz')).body).to.include({ status: 'ok', service: 'payment' });
  });
});
