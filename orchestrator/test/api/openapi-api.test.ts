import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { silentLogger } from '@sagaflow/contracts/messaging';
import { createApp, type AppDeps } from '../../src/api/app.js';
import type { Orchestrator } from '../../src/orchestrator.js';
import { ScriptedParticipants } from '../support/scripted-participants.js';
import { http, orderRequest, TestStack } from '../support/test-stack.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string;
}

/** `METHOD /path` of every route the express app registers, mounted routers included, in OpenAPI form. */
function registeredRoutes(stack: Layer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = `${prefix}${layer.route.path}`.replace(/\/$/, '').replace(/:(\w+)/g, '{$1}') || '/';
      return Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${path}`);
    }
    if (layer.handle.stack) return registeredRoutes(layer.handle.stack, `${prefix}${layer.rawPath ?? ''}`);
    return [];
  });
}

const documentedRoutes = (document: { paths: Record<string, object> }): string[] =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );

describe('HTTP API: the OpenAPI document', function () {
  this.timeout(20_000);
  let stack: TestStack;
  let participants: ScriptedParticipants;
  let orchestrator: Orchestrator;
  let document: any;

  before(async () => {
    stack = await TestStack.create();
    participants = await ScriptedParticipants.start(stack.vhost.url);
    orchestrator = await stack.orchestrator({ apiToken: 'sesame' });
    const res = await http(orchestrator.url, 'GET', '/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    document = res.body;
  });

  after(async () => {
    await participants.stop();
    await stack.cleanup();
  });

  it('is valid OpenAPI 3.1', async () => {
    expect(document.openapi).to.equal('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
  });

  it('describes exactly the routes the server registers, both ways', () => {
    // Only the route table is read: the handlers never run.
    const app = createApp({ log: silentLogger(), inventoryUrl: 'http://127.0.0.1:9' } as unknown as AppDeps);
    const registered = registeredRoutes((app as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(registered).to.include.members(['POST /orders', 'GET /dlq/{messageId}', 'POST /dlq/replay', 'GET /docs']);
    const documented = documentedRoutes(document);
    expect(
      documented.filter((r) => !registered.includes(r)),
      'documented but not served',
    ).to.deep.equal([]);
    expect(
      registered.filter((r) => !documented.includes(r)),
      'served but not documented',
    ).to.deep.equal([]);
  });

  it('takes its bodies from the contract schemas, and the server answers as it says', async () => {
    const { CreateOrderRequest } = document.components.schemas;
    expect(CreateOrderRequest.required).to.include.members(['customerId', 'customerEmail', 'currency', 'items']);
    expect(CreateOrderRequest.additionalProperties).to.equal(false);
    const post = document.paths['/orders'].post;
    expect(post.requestBody.content['application/json'].schema.$ref).to.equal(
      '#/components/schemas/CreateOrderRequest',
    );
    expect(Object.keys(post.responses)).to.include.members(['202', '400', '401', '413', '429']);
    expect(post.security).to.deep.equal([{ bearerAuth: [] }]);
    const listParams = document.paths['/orders'].get.parameters.map((p: { name: string }) => p.name);
    expect(listParams).to.have.members(['status', 'customerId', 'limit', 'cursor']);

    const placed = await http(orchestrator.url, 'POST', '/orders', orderRequest(), { authorization: 'Bearer sesame' });
    expect(Object.keys(post.responses)).to.include(String(placed.status));
    const order = await http(orchestrator.url, 'GET', `/orders/${placed.body.orderId}`);
    const { Order } = document.components.schemas;
    expect(Object.keys(order.body).every((key) => key in Order.properties)).to.equal(true);
    expect(Order.required.every((key: string) => key in order.body)).to.equal(true);
  });

  it('serves an interactive page at /docs with its assets from this server', async () => {
    const page = await http(orchestrator.url, 'GET', '/docs');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    const assets = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url!);
    expect(assets).to.have.length.greaterThan(2);
    for (const asset of assets) {
      expect(asset, 'served locally').to.match(/^\/docs\/assets\//);
      const res = await fetch(`${orchestrator.url}${asset}`);
      expect(res.status, asset).to.equal(200);
      await res.arrayBuffer();
    }
  });
});
