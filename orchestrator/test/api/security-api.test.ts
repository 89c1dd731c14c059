import { expect } from 'chai';
import type { Orchestrator } from '../../src/orchestrator.js';
import { ScriptedParticipants } from '../support/scripted-participants.js';
import { http, orderRequest, TestStack } from '../support/test-stack.js';

const TOKEN = 'open-sesame';
const auth = { authorization: `Bearer ${TOKEN}` };
const UI_ORIGIN = 'http://ui.example.test:5173';

interface DocumentedOperation {
  path: string;
  method: string;
  guarded: boolean;
}

/** Every operation of the served OpenAPI document, with concrete paths to call. */
async function documentedOperations(base: string): Promise<DocumentedOperation[]> {
  const document = (await http(base, 'GET', '/openapi.json')).body;
  return Object.entries(document.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(
    ([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        path: path.replace(/\{\w+\}/g, 'x'),
        method: method.toUpperCase(),
        guarded: (operation.security ?? []).length > 0,
      })),
  );
}

/** Status, headers and JSON body of a call; a stream (an unguarded `/events`) is not read to its end. */
async function answerOf(base: string, op: DocumentedOperation, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${op.path}`, { method: op.method, headers });
  const json = response.headers.get('content-type')?.startsWith('application/json');
  const body = json ? await response.json() : await response.body?.cancel();
  return { status: response.status, headers: response.headers, body };
}

describe('HTTP API: token, CORS, rate limit, security headers', function () {
  this.timeout(30_000);
  let stack: TestStack;
  let participants: ScriptedParticipants;
  let orchestrator: Orchestrator;
  let limited: Orchestrator;
  let behindProxy: Orchestrator;

  before(async () => {
    stack = await TestStack.create();
    participants = await ScriptedParticipants.start(stack.vhost.url);
    orchestrator = await stack.orchestrator({ apiToken: TOKEN, corsOrigins: [UI_ORIGIN] });
    limited = await stack.orchestrator({ rateLimitPerMinute: 3 });
    behindProxy = await stack.orchestrator({ rateLimitPerMinute: 2, trustProxyHops: 1 });
  });

  after(async () => {
    await participants.stop();
    await stack.cleanup();
  });

  it('guards every mutating and operations route, and only those, with the bearer token', async () => {
    const operations = await documentedOperations(orchestrator.url);
    const mustBeGuarded = (op: DocumentedOperation) =>
      op.method !== 'GET' || op.path.startsWith('/dlq') || op.path === '/events' || op.path === '/reconciliation';
    expect(operations.filter(mustBeGuarded).map((op) => `${op.method} ${op.path}`)).to.include.members([
      'POST /orders',
      'POST /orders/x/cancel',
      'POST /sagas/x/retry',
      'POST /sagas/x/compensate',
      'GET /events',
      'GET /dlq',
      'GET /dlq/x',
      'POST /dlq/replay',
      'GET /reconciliation',
    ]);
    for (const op of operations) {
      expect(op.guarded, `${op.method} ${op.path} documented as guarded`).to.equal(mustBeGuarded(op));
      const anonymous = await answerOf(orchestrator.url, op);
      const wrong = await answerOf(orchestrator.url, op, { authorization: 'Bearer nope' });
      if (op.guarded) {
        for (const res of [anonymous, wrong]) {
          expect(res.status, `${op.method} ${op.path}`).to.equal(401);
          expect(res.body).to.include({ error: 'unauthorized' });
          expect(res.headers.get('www-authenticate')).to.equal('Bearer');
        }
      } else {
        expect(anonymous.status, `${op.method} ${op.path} is open`).to.not.equal(401);
      }
    }
  });

  it('takes the token from the Authorization header only, never from the URL', async () => {
    for (const param of ['token', 'access_token', 'api_token']) {
      const res = await http(orchestrator.url, 'GET', `/dlq?${param}=${TOKEN}`);
      expect(res.status).to.equal(401);
      expect(res.body.message).to.match(/not accepted in the URL/);
    }
    expect((await http(orchestrator.url, 'GET', '/dlq', undefined, { authorization: TOKEN })).status).to.equal(401);
    expect(
      (await http(orchestrator.url, 'GET', '/dlq', undefined, { authorization: `Basic ${TOKEN}` })).status,
    ).to.equal(401);
    expect((await http(orchestrator.url, 'GET', '/dlq', undefined, auth)).status).to.equal(200);
    const placed = await http(orchestrator.url, 'POST', '/orders', orderRequest(), auth);
    expect(placed.status).to.equal(202);
  });

  it('opens the event stream to a fetch with the bearer header', async () => {
    const controller = new AbortController();
    const res = await fetch(`${orchestrator.url}/events`, { headers: auth, signal: controller.signal });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
    controller.abort();
    await res.body?.cancel().catch(() => undefined);
  });

  it('sends security headers with a policy that lets the viewer and the docs page load from this origin', async () => {
    for (const path of ['/healthz', '/docs', '/orders/nope']) {
      const res = await http(orchestrator.url, 'GET', path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).to.include("default-src 'self'").and.include("script-src 'self'");
      expect(csp).to.include("connect-src 'self'").and.include("frame-ancestors 'none'");
      expect(csp).to.not.include('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('x-frame-options')).to.equal('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(res.headers.get('cross-origin-opener-policy')).to.equal('same-origin');
      expect(res.headers.get('x-powered-by')).to.equal(null);
    }
  });

  it('allows CORS for the configured origins only, preflight with the Authorization header included', async () => {
    const preflight = await fetch(`${orchestrator.url}/orders`, {
      method: 'OPTIONS',
      headers: {
        origin: UI_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get('access-control-allow-origin')).to.equal(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).to.include('POST');
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    expect(allowed).to.include('authorization').and.include('content-type').and.include('idempotency-key');

    const placed = await http(orchestrator.url, 'POST', '/orders', orderRequest(), { ...auth, origin: UI_ORIGIN });
    expect(placed.status).to.equal(202);
    expect(placed.headers.get('access-control-allow-origin')).to.equal(UI_ORIGIN);
    expect(placed.headers.get('access-control-expose-headers')).to.include('Location');

    for (const origin of ['http://evil.example.test', 'http://ui.example.test:5174']) {
      const foreign = await fetch(`${orchestrator.url}/orders`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(foreign.headers.get('access-control-allow-origin'), origin).to.equal(null);
      const read = await http(orchestrator.url, 'GET', '/orders', undefined, { origin });
      expect(read.headers.get('access-control-allow-origin'), origin).to.equal(null);
    }
    // Without CORS_ORIGINS no origin is allowed.
    const unlisted = await http(limited.url, 'GET', '/orders', undefined, { origin: UI_ORIGIN });
    expect(unlisted.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('counts the client a trusted proxy names, and believes no X-Forwarded-For otherwise', async () => {
    const from = (client: string) => ({ 'x-forwarded-for': client });
    const post = (server: Orchestrator, client: string) =>
      http(server.url, 'POST', '/orders', orderRequest(), from(client)).then((r) => r.status);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push(await post(behindProxy, '10.0.0.1'));
    expect(statuses).to.deep.equal([202, 202, 429]);
    expect(await post(behindProxy, '10.0.0.2'), 'another client behind the proxy').to.equal(202);
  });

  it('limits POST /orders per client: 429 with Retry-After and a JSON reason', async () => {
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof http>> | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await http(limited.url, 'POST', '/orders', orderRequest());
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    expect(statuses).to.deep.equal([202, 202, 202, 429, 429]);
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
    expect(refused!.body).to.include({ error: 'rate_limited' });
    expect(refused!.body.message).to.match(/3 requests a minute/);
    expect(refused!.headers.get('ratelimit-policy')).to.match(/q=3; w=60/);
    // Without a trusted proxy, a forwarded-for header is the client's own claim: it opens no new window.
    expect(
      (await http(limited.url, 'POST', '/orders', orderRequest(), { 'x-forwarded-for': '10.9.9.9' })).status,
    ).to.equal(429);
    // Reading is not limited.
    expect((await http(limited.url, 'GET', '/orders')).status).to.equal(200);
    // 0 is no limit.
    for (let i = 0; i < 5; i++) {
      expect((await http(orchestrator.url, 'POST', '/orders', orderRequest(), auth)).status).to.equal(202);
    }
  });

  it('refuses a body above 64 kB with 413 and a reason', async () => {
    const big = await http(orchestrator.url, 'POST', '/orders', orderRequest({ customerId: 'x'.repeat(70_000) }), auth);
    expect(big.status).to.equal(413);
    expect(big.body).to.include({ error: 'payload_too_large' });
    const fits = await http(
      orchestrator.url,
      'POST',
      '/orders',
      orderRequest({ customerId: 'x'.repeat(60_000) }),
      auth,
    );
    expect(fits.status).to.equal(400);
  });
});
