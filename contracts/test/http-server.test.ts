import { expect } from 'chai';
import { eventually } from '../src/testing/index.js';
import { serveHttp } from '../src/messaging/index.js';

describe('serveHttp', () => {
  it('drains on close: new requests get 503 while the one in flight finishes, then the port is let go', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = await serveHttp(
      (req, res) => {
        if (req.url === '/slow') void released.then(() => res.end('done'));
        else res.end('quick');
      },
      { port: 0, host: '127.0.0.1' },
    );
    const base = `http://127.0.0.1:${server.port}`;
    expect(await (await fetch(`${base}/quick`)).text()).to.equal('quick');

    const slow = fetch(`${base}/slow`);
    await eventually(() => expect(server.inFlight).to.equal(1), { timeoutMs: 5_000 });
    const closing = server.close(10_000);

    const refused = await fetch(`${base}/quick`, { headers: { connection: 'close' } });
    expect(refused.status).to.equal(503);
    expect(refused.headers.get('retry-after')).to.equal('1');
    expect(await refused.json()).to.include({ error: 'shutting_down' });

    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed, 'closed while a request was still in flight').to.equal(false);
    release();
    expect(await (await slow).text()).to.equal('done');
    await closing;
    const after = await fetch(`${base}/quick`).then(
      () => 'answered',
      (error: Error & { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(after).to.equal('ECONNREFUSED');
  });

  it('stops waiting for requests in flight after the grace period', async () => {
    const server = await serveHttp(() => undefined, { port: 0, host: '127.0.0.1' });
    const hanging = fetch(`http://127.0.0.1:${server.port}/`).catch((error: Error) => error);
    await eventually(() => expect(server.inFlight).to.equal(1), { timeoutMs: 5_000 });
    const started = Date.now();
    await server.close(200);
    expect(Date.now() - started).to.be.within(150, 5_000);
    expect(await hanging).to.be.instanceOf(Error);
  });
});
