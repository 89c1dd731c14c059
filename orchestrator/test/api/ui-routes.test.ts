import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { silentLogger } from '@sagaflow/contracts/messaging';
import { uiRoutes } from '../../src/api/ui-routes.js';
import { errorHandler } from '../../src/api/middleware.js';

describe('the viewer under /ui/', () => {
  let dir: string;
  let server: Server;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sagaflow-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>viewer</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = express();
    app.use('/ui', uiRoutes(dir));
    app.use(errorHandler(silentLogger()));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers deep links with index.html, never cached', async () => {
    for (const path of ['/ui/', '/ui/sagas/saga_1', '/ui/orders/new', '/ui/dlq']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).to.equal(200);
      expect(res.headers.get('cache-control'), path).to.equal('no-cache');
      expect(await res.text()).to.include('<title>viewer</title>');
    }
  });

  it('serves hashed assets for good, and a missing asset as a 404 rather than the page', async () => {
    const asset = await fetch(`${base}/ui/assets/index-abc123.js`);
    expect(asset.status).to.equal(200);
    expect(asset.headers.get('cache-control')).to.include('immutable').and.include('max-age=31536000');
    expect((await fetch(`${base}/ui/assets/index-gone.js`)).status).to.equal(404);
  });
});
