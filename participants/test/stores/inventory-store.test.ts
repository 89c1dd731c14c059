import { expect } from 'chai';
import { openInventoryStore, type InventoryStore } from '../../src/index.js';
import { readEveryPage } from '../support/record-pages.js';
import { STORE_BACKENDS, type TestDatabase } from '../support/store-backends.js';

const key = (commandId: string, commandType: 'inventory.reserve' | 'inventory.release' = 'inventory.reserve') => ({
  commandId,
  commandType,
});

for (const backend of STORE_BACKENDS) {
  describe(`InventoryStore contract (${backend.name})`, function () {
    let db: TestDatabase;
    let store: InventoryStore;

    before(function () {
      if (backend.unavailable) this.skip();
    });

    beforeEach(async () => {
      db = await backend.create();
      store = await openInventoryStore(db.url);
      await store.seed([
        { sku: 'A-1', name: 'A', priceCents: 100, available: 5 },
        { sku: 'B-1', name: 'B', priceCents: 250, available: 2 },
      ]);
    });

    afterEach(async () => {
      await store?.close();
      await db?.drop();
    });

    it('seeds only what is absent', async () => {
      await store.putProduct('A-1', { available: 1 });
      expect(await store.seed([{ sku: 'A-1', name: 'A', priceCents: 100, available: 5 }])).to.equal(0);
      expect(await store.getProduct('A-1')).to.include({ available: 1 });
      expect((await store.listProducts()).map((p) => p.sku)).to.deep.equal(['A-1', 'B-1']);
    });

    it('creates a product only with a name and a price', async () => {
      expect(await store.putProduct('C-1', { available: 3 })).to.equal(null);
      const created = await store.putProduct('C-1', { name: 'C', priceCents: 5 });
      expect(created).to.deep.equal({
        created: true,
        product: { sku: 'C-1', name: 'C', priceCents: 5, available: 0, reserved: 0 },
      });
      expect(await store.getProduct('nope')).to.equal(null);
    });

    it('reserves all or nothing, records the reply once and reports the stock it lowered', async () => {
      const failed = await store.reserve(key('c1'), {
        orderId: 'o1',
        items: [
          { sku: 'A-1', quantity: 1 },
          { sku: 'B-1', quantity: 3 },
        ],
      });
      expect(failed.reply).to.have.nested.property('reason.code', 'out_of_stock');
      expect(await store.getProduct('A-1')).to.include({ available: 5, reserved: 0 });
      expect(await store.findReply('c1')).to.deep.equal({ commandType: 'inventory.reserve', reply: failed.reply });

      const ok = await store.reserve(key('c2'), { orderId: 'o2', items: [{ sku: 'B-1', quantity: 2 }] });
      expect(ok).to.deep.include({ duplicate: false, changes: [{ sku: 'B-1', quantity: 2, available: 0 }] });
      expect(ok.reply).to.have.nested.property('result.totalCents', 500);
      const replay = await store.reserve(key('c2'), { orderId: 'o2', items: [{ sku: 'B-1', quantity: 2 }] });
      expect(replay).to.deep.equal({ reply: ok.reply, duplicate: true, changes: [] });
      expect(await store.getProduct('B-1')).to.include({ available: 0, reserved: 2 });
      expect(await store.getReservation('o2')).to.include({ state: 'reserved', totalCents: 500 });
    });

    it('runs concurrent duplicates of one command once', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.reserve(key('same'), { orderId: 'o3', items: [{ sku: 'A-1', quantity: 1 }] }),
        ),
      );
      expect(results.filter((r) => !r.duplicate)).to.have.length(1);
      for (const r of results) expect(r.reply).to.deep.equal(results[0]!.reply);
      expect(await store.getProduct('A-1')).to.include({ available: 4, reserved: 1 });
    });

    it('releases once, commits once, and conserves stock', async () => {
      await store.reserve(key('r1'), { orderId: 'o4', items: [{ sku: 'A-1', quantity: 2 }] });
      await store.reserve(key('r2'), { orderId: 'o5', items: [{ sku: 'A-1', quantity: 1 }] });
      expect(await store.commit('o4')).to.equal(true);
      expect(await store.commit('o4')).to.equal(false);
      expect(await store.getProduct('A-1')).to.include({ available: 2, reserved: 1 });
      const released = await store.release(key('l1', 'inventory.release'), { orderId: 'o5' });
      expect(released.reply).to.deep.equal({ outcome: 'success', result: { released: [{ sku: 'A-1', quantity: 1 }] } });
      const twice = await store.release(key('l2', 'inventory.release'), { orderId: 'o5' });
      expect(twice.reply).to.deep.equal({ outcome: 'success', result: { released: [] } });
      expect(await store.commit('o5')).to.equal(false);
      // 5 at start = 3 available + 2 sold to the completed order o4.
      expect(await store.getProduct('A-1')).to.include({ available: 3, reserved: 0 });
    });

    it('commits completed orders that arrive together, each once, selling the sum of their stock', async () => {
      await store.reserve(key('g1'), {
        orderId: 'og1',
        items: [
          { sku: 'A-1', quantity: 2 },
          { sku: 'B-1', quantity: 1 },
        ],
      });
      await store.reserve(key('g2'), { orderId: 'og2', items: [{ sku: 'A-1', quantity: 1 }] });
      await store.reserve(key('g3'), { orderId: 'og3', items: [{ sku: 'B-1', quantity: 1 }] });
      const committed = await Promise.all(['og1', 'og2', 'og3', 'og1', 'absent'].map((id) => store.commit(id)));
      expect(committed).to.deep.equal([true, true, true, false, false]);
      expect(await store.getProduct('A-1')).to.include({ available: 2, reserved: 0 });
      expect(await store.getProduct('B-1')).to.include({ available: 0, reserved: 0 });
      for (const id of ['og1', 'og2', 'og3']) expect(await store.getReservation(id)).to.include({ state: 'committed' });
      expect(await Promise.all(['og1', 'og2'].map((id) => store.commit(id)))).to.deep.equal([false, false]);
    });

    it('lists every reservation, in any state, a page at a time in order id order', async () => {
      expect(await store.listReservations({ after: null, limit: 2 })).to.deep.equal({ items: [], next: null });
      await store.reserve(key('p1'), { orderId: 'p-held', items: [{ sku: 'A-1', quantity: 2 }] });
      await store.reserve(key('p2'), { orderId: 'p-sold', items: [{ sku: 'A-1', quantity: 1 }] });
      await store.commit('p-sold');
      await store.reserve(key('p3'), { orderId: 'p-back', items: [{ sku: 'B-1', quantity: 1 }] });
      await store.release(key('p4', 'inventory.release'), { orderId: 'p-back' });
      await store.release(key('p5', 'inventory.release'), { orderId: 'p-never' });
      await store.reserve(key('p6'), { orderId: 'p-short', items: [{ sku: 'B-1', quantity: 9 }] });
      const { items, pages } = await readEveryPage((request) => store.listReservations(request), 2);
      expect(pages).to.equal(2);
      expect(items.map((r) => [r.orderId, r.state])).to.deep.equal([
        ['p-back', 'released'],
        ['p-held', 'reserved'],
        ['p-never', 'released'],
        ['p-sold', 'committed'],
      ]);
      expect(items[1]).to.deep.include({ totalCents: 200 });
      expect(items[1]!.lines).to.deep.equal([
        { sku: 'A-1', name: 'A', quantity: 2, unitPriceCents: 100, lineTotalCents: 200 },
      ]);
      expect(items[1]!.createdAt).to.be.instanceOf(Date);
    });

    it('voids an order released before it was reserved', async () => {
      await store.release(key('l3', 'inventory.release'), { orderId: 'o6' });
      const late = await store.reserve(key('r3'), { orderId: 'o6', items: [{ sku: 'A-1', quantity: 1 }] });
      expect(late.reply).to.have.nested.property('reason.code', 'order_voided');
      expect(await store.getProduct('A-1')).to.include({ available: 5 });
    });

    it('conserves stock when a release and a commit of one order race', async () => {
      for (let n = 0; n < 5; n++) {
        const orderId = `race${n}`;
        await store.reserve(key(`rr${n}`), { orderId, items: [{ sku: 'A-1', quantity: 1 }] });
        await Promise.all([store.commit(orderId), store.release(key(`rl${n}`, 'inventory.release'), { orderId })]);
        expect(await store.getReservation(orderId)).to.include({ state: 'released' });
        expect(await store.getProduct('A-1')).to.include({ available: 5, reserved: 0 });
      }
    });
  });
}
