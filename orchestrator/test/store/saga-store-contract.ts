import { expect } from 'chai';
import type { OrderRecord, SagaRecord, SagaStore, SagaSummaryRecord } from '../../src/store/saga-store.js';
import { at, nextCommit, orderFixture, outboxEntry, sagaFixture, T0, type OrderFixture } from './store-fixtures.js';

export interface StoreUnderTest {
  /** Not initialised yet: the suite calls `init()`. */
  store: SagaStore;
  /** Closes the store and removes everything it wrote. */
  cleanup(): Promise<void>;
}

/** The behaviour every SagaStore must show; each test gets a fresh, empty store from `factory`. */
export function describeSagaStoreContract(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`SagaStore contract: ${name}`, function () {
    let store: SagaStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async function () {
      const created = await factory();
      store = created.store;
      cleanup = created.cleanup;
      await store.init();
    });

    afterEach(async function () {
      await cleanup?.();
      cleanup = undefined;
    });

    async function created(options: Parameters<typeof orderFixture>[0] = {}): Promise<OrderFixture> {
      const fixture = orderFixture(options);
      expect(await store.createOrder(fixture.order, fixture.saga, fixture.outbox)).to.deep.equal({ created: true });
      return fixture;
    }

    async function confirmed(): Promise<OrderFixture> {
      const fixture = await created();
      const commit = nextCommit(fixture.saga, {
        status: 'COMPLETED',
        orderPatch: { status: 'CONFIRMED', sagaStatus: 'COMPLETED', totalCents: 1500 },
      });
      expect(await store.commitSaga(commit)).to.equal(true);
      return { ...fixture, saga: commit.saga };
    }

    it('init is idempotent, also when called concurrently', async function () {
      await Promise.all([store.init(), store.init()]);
      await store.init();
      await created();
      await store.ping();
    });

    describe('orders and sagas', function () {
      it('round-trips an order and its saga with dates, snapshot and timeline', async function () {
        const { order, saga, outbox } = await created({ idempotencyKey: 'key-round-trip', outboxSize: 2 });

        const readOrder = await store.getOrder(order.orderId);
        expect(readOrder).to.deep.equal(order);
        expect(readOrder!.createdAt).to.be.instanceOf(Date);
        expect(await store.getOrderByIdempotencyKey('key-round-trip')).to.deep.equal(order);

        const readSaga = await store.getSaga(saga.sagaId);
        expect(readSaga).to.deep.equal(saga);
        expect(readSaga!.deadlineAt).to.be.instanceOf(Date);
        expect(readSaga!.updatedAt).to.be.instanceOf(Date);

        expect(await store.unsentOutbox(T0, 10)).to.deep.equal(outbox);
      });

      it('returns null for what does not exist', async function () {
        expect(await store.getOrder('nope')).to.equal(null);
        expect(await store.getSaga('nope')).to.equal(null);
        expect(await store.getOrderByIdempotencyKey('nope')).to.equal(null);
      });

      it('keeps orders without an idempotency key apart', async function () {
        const a = await created({ idempotencyKey: null });
        const b = await created({ idempotencyKey: null });
        expect((await store.getOrder(a.order.orderId))!.idempotencyKey).to.equal(null);
        expect((await store.getOrder(b.order.orderId))!.idempotencyKey).to.equal(null);
      });
    });

    describe('idempotency key', function () {
      it('gives the existing order to a repeated request and writes nothing for it', async function () {
        const first = await created({ idempotencyKey: 'key-1' });
        const second = orderFixture({ idempotencyKey: 'key-1', createdAt: at(10) });

        const result = await store.createOrder(second.order, second.saga, second.outbox);

        expect(result).to.deep.equal({ created: false, existing: first.order });
        expect(await store.getOrder(second.order.orderId)).to.equal(null);
        expect(await store.getSaga(second.saga.sagaId)).to.equal(null);
        expect(await store.countUnsent()).to.equal(first.outbox.length);
      });

      it('turns 20 concurrent duplicates into one order that every caller gets', async function () {
        const attempts = Array.from({ length: 20 }, (_, i) =>
          orderFixture({ idempotencyKey: 'key-race', createdAt: at(i) }),
        );

        const results = await Promise.all(attempts.map((a) => store.createOrder(a.order, a.saga, a.outbox)));

        const winners = results.flatMap((r, i) => (r.created ? [attempts[i]!] : []));
        expect(winners).to.have.length(1);
        const winner = winners[0]!.order;
        for (const result of results) {
          if (!result.created) expect(result.existing).to.deep.equal(winner);
        }
        expect((await store.listOrders({ limit: 100 })).items.map((o) => o.orderId)).to.deep.equal([winner.orderId]);
        expect(await store.countSagasByStatus()).to.deep.equal({ RUNNING: 1 });
        expect(await store.countUnsent()).to.equal(1);
      });
    });

    describe('commitSaga', function () {
      it('writes the saga, appends the timeline, queues the outbox and patches the order at once', async function () {
        const { order, saga, outbox } = await created();
        const commit = nextCommit(saga, {
          outboxSize: 2,
          orderPatch: {
            status: 'CONFIRMED',
            sagaStatus: 'RUNNING',
            totalCents: 4200,
            lines: [{ sku: 'SKU-1', name: 'Widget', quantity: 2, unitPriceCents: 2100, lineTotalCents: 4200 }],
          },
        });

        expect(await store.commitSaga(commit)).to.equal(true);

        expect(await store.getSaga(saga.sagaId)).to.deep.equal(commit.saga);
        expect(await store.getOrder(order.orderId)).to.deep.equal({
          ...order,
          status: 'CONFIRMED',
          totalCents: 4200,
          lines: commit.orderPatch!.lines,
          updatedAt: commit.saga.updatedAt,
        });
        expect(await store.unsentOutbox(at(1_000_000), 10)).to.deep.equal([...outbox, ...commit.outbox]);
      });

      it('leaves the order alone without a patch and clears fields set to null', async function () {
        const { order, saga } = await created();
        const first = nextCommit(saga, { orderPatch: { reason: 'out of stock' } });
        expect(await store.commitSaga(first)).to.equal(true);
        const second = nextCommit(first.saga, { outboxSize: 0 });
        expect(await store.commitSaga(second)).to.equal(true);
        expect((await store.getOrder(order.orderId))!.reason).to.equal('out of stock');
        const third = nextCommit(second.saga, { outboxSize: 0, orderPatch: { reason: null, lines: null } });
        expect(await store.commitSaga(third)).to.equal(true);
        const read = (await store.getOrder(order.orderId))!;
        expect(read.reason).to.equal(null);
        expect(read.lines).to.equal(null);
        expect((await store.getSaga(saga.sagaId))!.timeline).to.have.length(saga.timeline.length + 3);
      });

      it('refuses a stale version and writes nothing', async function () {
        const { order, saga } = await created();
        const winner = nextCommit(saga);
        expect(await store.commitSaga(winner)).to.equal(true);
        const unsentBefore = await store.countUnsent();

        const stale = nextCommit(saga, { outboxSize: 2, orderPatch: { status: 'CANCELLED', reason: 'late' } });
        expect(await store.commitSaga(stale)).to.equal(false);

        expect(await store.getSaga(saga.sagaId)).to.deep.equal(winner.saga);
        expect(await store.getOrder(order.orderId)).to.deep.equal(order);
        expect(await store.countUnsent()).to.equal(unsentBefore);
        const queued = (await store.unsentOutbox(at(1_000_000), 100)).map((e) => e.messageId);
        for (const entry of stale.outbox) expect(queued).not.to.include(entry.messageId);
      });

      it('refuses an unknown saga', async function () {
        const commit = nextCommit(sagaFixture({}));
        expect(await store.commitSaga(commit)).to.equal(false);
        expect(await store.countUnsent()).to.equal(0);
      });

      it('rejects a commit whose version does not follow the expected one', async function () {
        const { saga } = await created();
        const commit = nextCommit(saga);
        let error: unknown;
        try {
          await store.commitSaga({ ...commit, saga: { ...commit.saga, version: saga.version + 2 } });
        } catch (e) {
          error = e;
        }
        expect(error).to.have.property('type', 'invalid_commit');
        expect((await store.getSaga(saga.sagaId))!.version).to.equal(saga.version);
      });

      it('lets exactly one of two concurrent commits on the same version win', async function () {
        for (let round = 0; round < 5; round++) {
          const { order, saga } = await created();
          const a = nextCommit(saga, { status: 'COMPLETED', orderPatch: { status: 'CONFIRMED', reason: 'a' } });
          const b = nextCommit(saga, { status: 'COMPENSATING', orderPatch: { status: 'CANCELLED', reason: 'b' } });

          const [aWon, bWon] = await Promise.all([store.commitSaga(a), store.commitSaga(b)]);

          expect(aWon !== bWon, `round ${round}: a=${aWon} b=${bWon}`).to.equal(true);
          const winner = aWon ? a : b;
          const loser = aWon ? b : a;
          expect(await store.getSaga(saga.sagaId)).to.deep.equal(winner.saga);
          expect((await store.getOrder(order.orderId))!.reason).to.equal(winner.orderPatch!.reason);
          const queued = (await store.unsentOutbox(at(1_000_000), 100)).map((e) => e.messageId);
          expect(queued).to.include(winner.outbox[0]!.messageId);
          expect(queued).not.to.include(loser.outbox[0]!.messageId);
        }
      });

      it('gives each of many concurrent commits of different sagas its own answer and writes', async function () {
        const fixtures = await Promise.all(Array.from({ length: 24 }, () => created()));
        // Every third commit names a version its saga is not at: it alone must be refused.
        const commits = fixtures.map(({ saga }, i) => {
          const commit = nextCommit(saga, {
            status: i % 2 ? 'COMPLETED' : 'COMPENSATING',
            orderPatch: i % 4 ? { status: 'CONFIRMED', totalCents: 100 * i, reason: null } : null,
          });
          return i % 3 === 2
            ? { ...commit, expectedVersion: saga.version + 1, saga: { ...commit.saga, version: saga.version + 2 } }
            : commit;
        });

        const answers = await Promise.all(commits.map((commit) => store.commitSaga(commit)));

        expect(answers).to.deep.equal(commits.map((_, i) => i % 3 !== 2));
        const queued = new Set((await store.unsentOutbox(at(1_000_000), 1000)).map((e) => e.messageId));
        for (const [i, commit] of commits.entries()) {
          const { order, saga } = fixtures[i]!;
          const applied = i % 3 !== 2;
          expect(await store.getSaga(saga.sagaId), `saga ${i}`).to.deep.equal(applied ? commit.saga : saga);
          const readOrder = (await store.getOrder(order.orderId))!;
          const patched = applied && commit.orderPatch !== null;
          expect(readOrder.status, `order ${i}`).to.equal(patched ? 'CONFIRMED' : order.status);
          expect(readOrder.totalCents, `order ${i}`).to.equal(patched ? 100 * i : order.totalCents);
          for (const entry of commit.outbox) expect(queued.has(entry.messageId), `outbox ${i}`).to.equal(applied);
        }
      });
    });

    describe('outbox', function () {
      it('lists unsent entries oldest first up to createdBefore, and forgets them once sent', async function () {
        const { saga } = await created({ createdAt: at(0), outboxSize: 0 });
        const entries = [30, 10, 20, 40].map((ms) => outboxEntry(saga.sagaId, saga.orderId, at(ms)));
        const commit = { ...nextCommit(saga, { outboxSize: 0 }), outbox: entries };
        expect(await store.commitSaga(commit)).to.equal(true);
        const [e30, e10, e20, e40] = entries;

        expect(await store.unsentOutbox(at(30), 10)).to.deep.equal([e10, e20, e30]);
        expect(await store.unsentOutbox(at(40), 2)).to.deep.equal([e10, e20]);
        expect(await store.unsentOutbox(at(5), 10)).to.deep.equal([]);
        expect(await store.countUnsent()).to.equal(4);

        await store.markSent([e10!.messageId, e30!.messageId, 'unknown-id']);
        await store.markSent([]);

        expect(await store.unsentOutbox(at(40), 10)).to.deep.equal([e20, e40]);
        expect(await store.countUnsent()).to.equal(2);
      });

      it("keeps an express order's priority on the order, its saga and its outbox entries", async function () {
        const { order, saga, outbox } = await created({ priority: 'express', outboxSize: 1 });
        expect(outbox[0]!.priority).to.be.above(0);
        expect((await store.getOrder(order.orderId))!.priority).to.equal('express');
        expect((await store.getSaga(saga.sagaId))!.priority).to.equal('express');
        const listed = await store.listSagas({ limit: 10 });
        expect(listed.items.find((s) => s.sagaId === saga.sagaId)!.priority).to.equal('express');
        const commit = nextCommit(saga, { outboxSize: 1 });
        expect(await store.commitSaga(commit)).to.equal(true);
        const unsent = await store.unsentOutbox(at(60_000), 10);
        expect(unsent).to.deep.equal([...outbox, ...commit.outbox]);
        expect(unsent.map((e) => e.priority)).to.deep.equal([outbox[0]!.priority, outbox[0]!.priority]);
      });

      it('queues an entry again when a commit puts a sent message id back', async function () {
        const { saga, outbox } = await created();
        await store.markSent(outbox.map((e) => e.messageId));
        expect(await store.countUnsent()).to.equal(0);

        const resend = { ...outbox[0]!, createdAt: at(5000) };
        const commit = { ...nextCommit(saga, { outboxSize: 0 }), outbox: [resend] };
        expect(await store.commitSaga(commit)).to.equal(true);

        expect(await store.unsentOutbox(at(10_000), 10)).to.deep.equal([resend]);
      });
    });

    describe('findDue', function () {
      it('returns sagas at or past their deadline, oldest deadline first, up to the limit', async function () {
        const deadlines: (Date | null)[] = [at(300), null, at(100), at(200), at(10_000)];
        const sagas: SagaRecord[] = [];
        for (const deadlineAt of deadlines) {
          const fixture = orderFixture();
          const saga = { ...fixture.saga, deadlineAt };
          expect(await store.createOrder(fixture.order, saga, [])).to.deep.equal({ created: true });
          sagas.push(saga);
        }
        const ids = (list: SagaRecord[]) => list.map((s) => s.sagaId);
        const [s300, , s100, s200] = sagas;

        expect(ids(await store.findDue(at(300), 10))).to.deep.equal(ids([s100!, s200!, s300!]));
        expect(await store.findDue(at(300), 2)).to.deep.equal([s100, s200]);
        expect(await store.findDue(at(99), 10)).to.deep.equal([]);

        const commit = nextCommit(s100!, { outboxSize: 0 });
        expect(await store.commitSaga({ ...commit, saga: { ...commit.saga, deadlineAt: null } })).to.equal(true);
        expect(ids(await store.findDue(at(300), 10))).to.deep.equal(ids([s200!, s300!]));
      });
    });

    describe('startCancellation', function () {
      it('starts a cancellation saga for a confirmed order, atomically', async function () {
        const { order } = await confirmed();
        const cancellation = sagaFixture({ orderId: order.orderId, type: 'cancellation', createdAt: at(60_000) });
        const outbox = [outboxEntry(cancellation.sagaId, order.orderId, at(60_000))];
        const unsentBefore = await store.countUnsent();

        expect(await store.startCancellation(order.orderId, cancellation, outbox)).to.deep.equal({ started: true });

        const read = (await store.getOrder(order.orderId))!;
        expect(read.cancellationSagaId).to.equal(cancellation.sagaId);
        expect(read.activeSagaId).to.equal(cancellation.sagaId);
        expect(read.sagaStatus).to.equal('RUNNING');
        expect(read.sagaId).to.equal(order.sagaId);
        expect(read.status).to.equal('CONFIRMED');
        expect(await store.getSaga(cancellation.sagaId)).to.deep.equal(cancellation);
        expect(await store.countUnsent()).to.equal(unsentBefore + 1);
      });

      it('lets only the active saga change the order once a cancellation took it over', async function () {
        const { order, saga } = await confirmed();
        const cancellation = sagaFixture({ orderId: order.orderId, type: 'cancellation', createdAt: at(60_000) });
        expect(await store.startCancellation(order.orderId, cancellation, [])).to.deep.equal({ started: true });

        const late = nextCommit((await store.getSaga(saga.sagaId))!, {
          status: 'COMPLETED',
          orderPatch: { status: 'CONFIRMED', sagaStatus: 'COMPLETED', reason: 'late order saga step' },
        });
        expect(await store.commitSaga(late)).to.equal(true);
        expect(await store.getSaga(saga.sagaId)).to.deep.equal(late.saga);
        const untouched = (await store.getOrder(order.orderId))!;
        expect(untouched.sagaStatus).to.equal('RUNNING');
        expect(untouched.reason).to.equal(order.reason);

        const done = nextCommit(cancellation, {
          status: 'COMPLETED',
          orderPatch: { status: 'CANCELLED', sagaStatus: 'COMPLETED', reason: 'cancelled by request' },
        });
        expect(await store.commitSaga(done)).to.equal(true);
        const cancelled = (await store.getOrder(order.orderId))!;
        expect(cancelled).to.include({ status: 'CANCELLED', sagaStatus: 'COMPLETED', reason: 'cancelled by request' });
      });

      it('refuses an unknown order, an unconfirmed one and a second cancellation, writing nothing', async function () {
        const cancellation = (orderId: string) => sagaFixture({ orderId, type: 'cancellation', createdAt: at(60_000) });

        const unknown = await store.startCancellation('no-such-order', cancellation('no-such-order'), []);
        expect(unknown).to.deep.equal({ started: false, reason: 'not_found', order: null });

        const pending = await created();
        const refused = cancellation(pending.order.orderId);
        const notConfirmed = await store.startCancellation(pending.order.orderId, refused, [
          outboxEntry(refused.sagaId, pending.order.orderId, at(60_000)),
        ]);
        expect(notConfirmed).to.deep.equal({ started: false, reason: 'not_confirmed', order: pending.order });
        expect(await store.getSaga(refused.sagaId)).to.equal(null);

        const { order } = await confirmed();
        expect(await store.startCancellation(order.orderId, cancellation(order.orderId), [])).to.deep.equal({
          started: true,
        });
        const unsentBefore = await store.countUnsent();
        const second = cancellation(order.orderId);
        const again = await store.startCancellation(order.orderId, second, [
          outboxEntry(second.sagaId, order.orderId, at(60_000)),
        ]);
        expect(again.started).to.equal(false);
        expect(again).to.have.property('reason', 'already_cancelling');
        expect(again).to.have.nested.property('order.orderId', order.orderId);
        expect(await store.getSaga(second.sagaId)).to.equal(null);
        expect(await store.countUnsent()).to.equal(unsentBefore);

        const cancelled = (await store.getSaga((await store.getOrder(order.orderId))!.cancellationSagaId!))!;
        const done = nextCommit(cancelled, {
          status: 'COMPLETED',
          outboxSize: 0,
          orderPatch: { status: 'CANCELLED', sagaStatus: 'COMPLETED' },
        });
        expect(await store.commitSaga(done)).to.equal(true);
        const afterwards = await store.startCancellation(order.orderId, cancellation(order.orderId), []);
        expect(afterwards).to.have.property('reason', 'not_confirmed');
      });

      it('rejects a cancellation saga of another order', async function () {
        const { order } = await confirmed();
        let error: unknown;
        try {
          await store.startCancellation(order.orderId, sagaFixture({ type: 'cancellation' }), []);
        } catch (e) {
          error = e;
        }
        expect(error).to.have.property('type', 'invalid_cancellation');
        expect((await store.getOrder(order.orderId))!.cancellationSagaId).to.equal(null);
      });

      it('starts one cancellation when several race', async function () {
        const { order } = await confirmed();
        const sagas = Array.from({ length: 5 }, () => sagaFixture({ orderId: order.orderId, type: 'cancellation' }));

        const results = await Promise.all(sagas.map((s) => store.startCancellation(order.orderId, s, [])));

        expect(results.filter((r) => r.started)).to.have.length(1);
        const winner = sagas[results.findIndex((r) => r.started)]!;
        expect((await store.getOrder(order.orderId))!.cancellationSagaId).to.equal(winner.sagaId);
        expect((await store.listSagas({ type: 'cancellation', limit: 10 })).items).to.have.length(1);
      });
    });

    describe('lists', function () {
      /** Reads every page and checks each page's size. */
      async function allPages<T>(
        read: (cursor: string | undefined) => Promise<{ items: T[]; next: string | null }>,
        limit: number,
      ): Promise<T[]> {
        const items: T[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 100; page++) {
          const result = await read(cursor);
          items.push(...result.items);
          if (result.next === null) {
            expect(result.items.length).to.be.at.most(limit);
            return items;
          }
          expect(result.items).to.have.length(limit);
          cursor = result.next;
        }
        throw new Error('pagination did not end');
      }

      const newestFirst = <T>(list: T[], key: (item: T) => [Date, string]) =>
        [...list].sort((x, y) => {
          const [xAt, xId] = key(x);
          const [yAt, yId] = key(y);
          return yAt.getTime() - xAt.getTime() || (yId < xId ? -1 : yId > xId ? 1 : 0);
        });

      async function seed(): Promise<OrderFixture[]> {
        const fixtures: OrderFixture[] = [];
        for (let i = 0; i < 23; i++) {
          // Every third order shares its creation time with the previous one: ties are ordered by id.
          const createdAt = at(Math.floor(i - (i % 3 === 2 ? 1 : 0)) * 1000);
          const fixture = await created({ createdAt, customerId: i % 2 === 0 ? 'even' : 'odd' });
          if (i % 4 === 0) {
            const commit = nextCommit(fixture.saga, {
              status: 'COMPLETED',
              outboxSize: 0,
              orderPatch: { status: 'CONFIRMED', sagaStatus: 'COMPLETED' },
            });
            expect(await store.commitSaga(commit)).to.equal(true);
          }
          fixtures.push(fixture);
        }
        return fixtures;
      }

      it('pages through orders newest first, with filters, without gaps or duplicates', async function () {
        const fixtures = await seed();
        const orders = await Promise.all(fixtures.map(async (f) => (await store.getOrder(f.order.orderId))!));
        const expected = (keep: (o: OrderRecord) => boolean) =>
          newestFirst(orders.filter(keep), (o) => [o.createdAt, o.orderId]).map((o) => o.orderId);
        const ids = (list: OrderRecord[]) => list.map((o) => o.orderId);

        for (const limit of [1, 4, 23, 100]) {
          const all = await allPages((cursor) => store.listOrders({ limit, cursor }), limit);
          expect(ids(all), `limit ${limit}`).to.deep.equal(expected(() => true));
        }
        const confirmedOrders = await allPages(
          (cursor) => store.listOrders({ status: 'CONFIRMED', limit: 2, cursor }),
          2,
        );
        expect(ids(confirmedOrders)).to.deep.equal(expected((o) => o.status === 'CONFIRMED'));
        expect(confirmedOrders).to.have.length(6);
        const odd = await allPages((cursor) => store.listOrders({ customerId: 'odd', limit: 3, cursor }), 3);
        expect(ids(odd)).to.deep.equal(expected((o) => o.customerId === 'odd'));
        const both = await allPages(
          (cursor) => store.listOrders({ customerId: 'even', status: 'PENDING', limit: 5, cursor }),
          5,
        );
        expect(ids(both)).to.deep.equal(expected((o) => o.customerId === 'even' && o.status === 'PENDING'));
        expect(await store.listOrders({ customerId: 'nobody', limit: 5 })).to.deep.equal({ items: [], next: null });
      });

      it('pages through saga summaries newest first, with filters', async function () {
        const fixtures = await seed();
        const { order } = fixtures[0]!;
        const cancellation = sagaFixture({ orderId: order.orderId, type: 'cancellation', createdAt: at(7000) });
        expect(await store.startCancellation(order.orderId, cancellation, [])).to.deep.equal({ started: true });
        const sagas = await Promise.all(
          [...fixtures.map((f) => f.saga.sagaId), cancellation.sagaId].map(async (id) => (await store.getSaga(id))!),
        );
        const expected = (keep: (s: SagaRecord) => boolean) =>
          newestFirst(sagas.filter(keep), (s) => [s.createdAt, s.sagaId]).map((s) => s.sagaId);
        const ids = (list: SagaSummaryRecord[]) => list.map((s) => s.sagaId);

        const all = await allPages((cursor) => store.listSagas({ limit: 5, cursor }), 5);
        expect(ids(all)).to.deep.equal(expected(() => true));
        const { snapshot: _snapshot, timeline: _timeline, ...summary } = sagas[0]!;
        expect(all.find((s) => s.sagaId === summary.sagaId)).to.deep.equal(summary);

        const completed = await allPages((cursor) => store.listSagas({ status: 'COMPLETED', limit: 4, cursor }), 4);
        expect(ids(completed)).to.deep.equal(expected((s) => s.status === 'COMPLETED'));
        const orderSagas = await allPages(
          (cursor) => store.listSagas({ type: 'order', status: 'RUNNING', limit: 7, cursor }),
          7,
        );
        expect(ids(orderSagas)).to.deep.equal(expected((s) => s.type === 'order' && s.status === 'RUNNING'));
        expect(ids((await store.listSagas({ type: 'cancellation', limit: 5 })).items)).to.deep.equal([
          cancellation.sagaId,
        ]);
      });

      it('rejects a cursor it did not make', async function () {
        let error: unknown;
        try {
          await store.listOrders({ limit: 5, cursor: 'not-a-cursor' });
        } catch (e) {
          error = e;
        }
        expect(error).to.have.property('type', 'invalid_cursor');
      });
    });

    describe('retention of finished sagas', function () {
      /** An order whose saga ended (or moved on) with `status` at `atMs`. */
      async function endedAt(status: SagaRecord['status'], atMs: number): Promise<OrderFixture> {
        const fixture = await created();
        const commit = nextCommit(fixture.saga, { status, outboxSize: 0, atMs });
        expect(await store.commitSaga(commit)).to.equal(true);
        return { ...fixture, saga: commit.saga };
      }

      it('removes finished sagas past the cutoff, oldest first, a bounded batch at a time, and keeps orders', async function () {
        const finished = [
          await endedAt('COMPLETED', 3000),
          await endedAt('CANCELLED', 1000),
          await endedAt('COMPLETED', 2000),
          await endedAt('CANCELLED', 4000),
        ];
        const recent = await endedAt('COMPLETED', 9000);
        // In flight, however old: never removed.
        const inFlight = [await created(), await endedAt('COMPENSATING', 500), await endedAt('STALLED', 500)];
        const present = async (f: OrderFixture) => (await store.getSaga(f.saga.sagaId)) !== null;

        expect(await store.removeFinishedSagas(at(5000), 2)).to.equal(2);
        expect(await Promise.all(finished.map(present))).to.deep.equal([true, false, false, true]);
        expect(await store.removeFinishedSagas(at(5000), 10)).to.equal(2);
        expect(await store.removeFinishedSagas(at(5000), 10)).to.equal(0);

        expect(await present(recent)).to.equal(true);
        for (const f of inFlight) expect(await present(f), f.saga.status).to.equal(true);
        for (const f of [...finished, recent, ...inFlight]) {
          expect(await store.getOrder(f.order.orderId), 'the order stays').to.not.equal(null);
        }
        expect(await store.countSagasByStatus()).to.deep.equal({
          COMPLETED: 1,
          RUNNING: 1,
          COMPENSATING: 1,
          STALLED: 1,
        });
      });

      it('counts the same before and after folds, and after removals on both sides of the horizon', async function () {
        for (const atMs of [1000, 2000, 3000, 4000]) await endedAt('COMPLETED', atMs);
        await endedAt('CANCELLED', 1500);
        await endedAt('CANCELLED', 3500);
        await created();
        const expected = { COMPLETED: 4, CANCELLED: 2, RUNNING: 1 };
        expect(await store.countSagasByStatus()).to.deep.equal(expected);

        await store.foldFinishedCounts(at(2500));
        expect(await store.countSagasByStatus()).to.deep.equal(expected);
        await store.foldFinishedCounts(at(2000)); // behind the horizon: changes nothing
        expect(await store.countSagasByStatus()).to.deep.equal(expected);

        // Two folded (1000, 1500) and one not yet (3000).
        expect(await store.removeFinishedSagas(at(3001), 2)).to.equal(2);
        expect(await store.countSagasByStatus()).to.deep.equal({ COMPLETED: 3, CANCELLED: 1, RUNNING: 1 });
        expect(await store.removeFinishedSagas(at(3001), 10)).to.equal(2);
        expect(await store.countSagasByStatus()).to.deep.equal({ COMPLETED: 1, CANCELLED: 1, RUNNING: 1 });

        await store.foldFinishedCounts(at(10_000));
        expect(await store.countSagasByStatus()).to.deep.equal({ COMPLETED: 1, CANCELLED: 1, RUNNING: 1 });
        await endedAt('COMPLETED', 20_000);
        expect(await store.countSagasByStatus()).to.deep.equal({ COMPLETED: 2, CANCELLED: 1, RUNNING: 1 });
        expect(await store.removeFinishedSagas(at(100_000), 10)).to.equal(3);
        expect(await store.countSagasByStatus()).to.deep.equal({ RUNNING: 1 });
      });

      it('takes each saga once when several processes remove and fold at once', async function () {
        for (let i = 0; i < 12; i++) await endedAt(i % 3 === 0 ? 'CANCELLED' : 'COMPLETED', 1000 + i * 100);
        await store.foldFinishedCounts(at(1500));
        let removed = 0;
        for (let round = 0; round < 20 && removed < 12; round++) {
          const results = await Promise.all([
            store.removeFinishedSagas(at(5000), 3),
            store.removeFinishedSagas(at(5000), 3),
            store.foldFinishedCounts(at(1800 + round * 100)).then(() => 0),
            store.removeFinishedSagas(at(5000), 3),
          ]);
          removed += results.reduce((a, b) => a + b, 0);
        }
        expect(removed).to.equal(12);
        expect(await store.countSagasByStatus()).to.deep.equal({});
      });
    });

    it('counts sagas by status', async function () {
      expect(await store.countSagasByStatus()).to.deep.equal({});
      await created();
      await created();
      const done = await created();
      expect(await store.commitSaga(nextCommit(done.saga, { status: 'COMPLETED', outboxSize: 0 }))).to.equal(true);
      const stalled = await created();
      expect(await store.commitSaga(nextCommit(stalled.saga, { status: 'STALLED', outboxSize: 0 }))).to.equal(true);

      expect(await store.countSagasByStatus()).to.deep.equal({ RUNNING: 2, COMPLETED: 1, STALLED: 1 });
    });
  });
}
