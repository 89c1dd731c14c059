import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import {
  ParticipantUnavailable,
  readParticipantRecords,
  type ParticipantName,
  type ParticipantUrls,
} from '../../src/reconciliation/participant-records.js';

type Handler = (url: URL, res: ServerResponse) => void;

const payment = (n: number) => ({
  paymentId: `pay-${String(n).padStart(3, '0')}`,
  orderId: `o-${n}`,
  kind: 'charge',
  amountCents: 100,
  currency: 'EUR',
  createdAt: '2026-12-01T00:00:00.000Z',
});

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
const empty: Handler = (_url, res) => send(res, 200, { items: [], next: null });

/**
 * Participants answering as scripted: the collection's paging and its refusal of answers a real
 * participant cannot be made to give (a broken page, a cursor that goes round).
 */
describe("reconciliation: reading the participants' records", () => {
  const servers: Server[] = [];
  const asked: string[] = [];

  async function serve(handler: Handler): Promise<string> {
    const server = createServer((req: IncomingMessage, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      asked.push(`${url.pathname}${url.search}`);
      handler(url, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function participants(handlers: Partial<Record<ParticipantName, Handler>>): Promise<ParticipantUrls> {
    return {
      inventory: await serve(handlers.inventory ?? empty),
      payment: await serve(handlers.payment ?? empty),
      notification: await serve(handlers.notification ?? empty),
    };
  }

  const unavailable = async (urls: ParticipantUrls): Promise<ParticipantUnavailable> => {
    const error = await readParticipantRecords(urls).then(
      () => expect.fail('read records from a broken participant'),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ParticipantUnavailable);
    return error as ParticipantUnavailable;
  };

  afterEach(async () => {
    asked.length = 0;
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('follows every page, a bounded page at a time', async () => {
    const all = Array.from({ length: 5 }, (_, i) => payment(i));
    const urls = await participants({
      payment: (url, res) => {
        const after = url.searchParams.get('cursor');
        const from = after === null ? 0 : all.findIndex((p) => p.paymentId === after) + 1;
        const items = all.slice(from, from + 2);
        send(res, 200, { items, next: from + 2 < all.length ? items[items.length - 1]!.paymentId : null });
      },
    });
    const records = await readParticipantRecords(urls);
    expect(records.payments).to.deep.equal(all);
    expect(records.reservations).to.deep.equal([]);
    expect(asked.filter((a) => a.startsWith('/payments'))).to.deep.equal([
      '/payments?limit=1000',
      '/payments?limit=1000&cursor=pay-001',
      '/payments?limit=1000&cursor=pay-003',
    ]);
  });

  it('names a participant that is down, answers an error, or answers no page', async () => {
    const down = await participants({});
    down.inventory = 'http://127.0.0.1:9';
    const refused = await unavailable(down);
    expect(refused.participant).to.equal('inventory');
    expect(refused.message).to.contain('the inventory service at http://127.0.0.1:9 does not answer');

    const failing = await unavailable(await participants({ notification: (_url, res) => send(res, 500, {}) }));
    expect(failing).to.include({ participant: 'notification' });
    expect(failing.message).to.contain('answered 500');

    const broken = await unavailable(
      await participants({ payment: (_url, res) => send(res, 200, { items: [{ paymentId: 'p' }] }) }),
    );
    expect(broken).to.include({ participant: 'payment' });
    expect(broken.message).to.contain('no page of records');
  });

  it('stops at a cursor that goes round instead of reading forever', async () => {
    const error = await unavailable(
      await participants({ payment: (_url, res) => send(res, 200, { items: [payment(1)], next: 'pay-001' }) }),
    );
    expect(error.message).to.contain('repeats its cursor');
  });
});
