import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import pg from 'pg';
import { eventually } from '@sagaflow/contracts/testing';
import { start } from '../src/orchestrator.js';
import { silentLogger } from '@sagaflow/contracts/messaging';
import { TestStack } from './support/test-stack.js';

const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe('orchestrator start and stop', function () {
  this.timeout(30_000);
  let stack: TestStack;
  let blocker: Server;

  before(async () => {
    stack = await TestStack.create();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
  });

  after(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    await stack.cleanup();
  });

  it('closes what it opened when the start fails half-way (its port is taken)', async () => {
    const app = `sagaflow-start-${Date.now()}`;
    const storeUrl = `${stack.schema.url}&application_name=${app}`;
    const port = (blocker.address() as { port: number }).port;
    const before = tcpHandles();
    const failure = await start(stack.config({ storeUrl, port }), silentLogger()).then(
      () => null,
      (error: Error & { code?: string }) => error,
    );
    expect(failure?.code).to.equal('EADDRINUSE');

    const admin = new pg.Client({ connectionString: stack.schema.url.replace(/\?.*$/, '') });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [app],
      );
      expect(rows[0].n, 'store connections left open').to.equal(0);
    } finally {
      await admin.end();
    }
    // The broker and store sockets are gone: the process holds no more TCP handles than before.
    await eventually(() => expect(tcpHandles()).to.be.at.most(before), { timeoutMs: 5_000 });
  });

  it('ends open event streams and answers 503 to requests that arrive while it stops', async () => {
    const orchestrator = await start(stack.config(), silentLogger());
    const stream = await fetch(`${orchestrator.url}/events`);
    expect(stream.status).to.equal(200);
    const reader = stream.body!.getReader();
    const stopped = orchestrator.stop();
    const during = await fetch(`${orchestrator.url}/healthz`, { headers: { connection: 'close' } }).then(
      (res) => res.status,
      () => 'refused',
    );
    // Depending on how far the stop got: a 503 while draining, or no listener at all afterwards.
    expect(during).to.be.oneOf([503, 'refused']);
    for (;;) if ((await reader.read()).done) break;
    await stopped;
  });
});
