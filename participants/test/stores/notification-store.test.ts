import { expect } from 'chai';
import { openNotificationStore, type NotificationStore, type SentNotification } from '../../src/index.js';
import { readEveryPage } from '../support/record-pages.js';
import { STORE_BACKENDS, type TestDatabase } from '../support/store-backends.js';

const sent = (notificationId: string, orderId: string): SentNotification => ({
  notificationId,
  orderId,
  template: 'order.confirmed',
  to: 'a@example.com',
  subject: 'Hello',
  text: 'Body',
  createdAt: new Date('2026-01-01T00:00:00.000Z').toISOString(),
});
const key = (commandId: string) => ({ commandId, commandType: 'notification.send' as const });

for (const backend of STORE_BACKENDS) {
  describe(`NotificationStore contract (${backend.name})`, function () {
    let db: TestDatabase;
    let store: NotificationStore;

    before(function () {
      if (backend.unavailable) this.skip();
    });

    beforeEach(async () => {
      db = await backend.create();
      store = await openNotificationStore(db.url);
    });

    afterEach(async () => {
      await store?.close();
      await db?.drop();
    });

    it('records a message once per order and template', async () => {
      const first = await store.record(key('c1'), sent('ntf-1', 'o1'));
      expect(first).to.deep.equal({
        reply: { outcome: 'success', result: { notificationId: 'ntf-1' } },
        duplicate: false,
      });
      const again = await store.record(key('c1'), sent('ntf-2', 'o1'));
      expect(again).to.deep.equal({ reply: first.reply, duplicate: true });
      const other = await store.record(key('c2'), sent('ntf-3', 'o1'));
      expect(other).to.deep.equal({ reply: first.reply, duplicate: true });
      expect(await store.listByOrder('o1')).to.deep.equal([sent('ntf-1', 'o1')]);
      expect(await store.findSent('o1', 'order.confirmed')).to.deep.equal(sent('ntf-1', 'o1'));
      expect(await store.findSent('o1', 'order.refunded')).to.equal(null);
      expect(await store.findReply('c2')).to.deep.equal({ commandType: 'notification.send', reply: first.reply });
    });

    it('lists every message a page at a time, each once, in notification id order', async () => {
      expect(await store.listNotifications({ after: null, limit: 3 })).to.deep.equal({ items: [], next: null });
      const recorded = ['ntf-e', 'ntf-a', 'ntf-d', 'ntf-b', 'ntf-c', 'ntf-f'].map((id, i) => sent(id, `lo${i}`));
      for (const [i, message] of recorded.entries()) await store.record(key(`l${i}`), message);
      const { items, pages } = await readEveryPage((request) => store.listNotifications(request), 3);
      expect(pages).to.equal(2);
      expect(items.map((m) => m.notificationId)).to.deep.equal(['ntf-a', 'ntf-b', 'ntf-c', 'ntf-d', 'ntf-e', 'ntf-f']);
      expect(items).to.have.deep.members(recorded);
      expect(await store.listNotifications({ after: 'ntf-c', limit: 2 })).to.deep.equal({
        items: [recorded[2], recorded[0]],
        next: 'ntf-e',
      });
    });

    it('records one message under concurrent commands for one order and template', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.record(key(`cc${i % 4}`), sent(`ntf-c${i}`, 'o2'))),
      );
      for (const r of results) expect(r.reply).to.deep.equal(results[0]!.reply);
      expect(results.filter((r) => !r.duplicate)).to.have.length(1);
      expect(await store.listByOrder('o2')).to.have.length(1);
      for (let i = 0; i < 4; i++) expect((await store.findReply(`cc${i}`))?.reply).to.deep.equal(results[0]!.reply);
    });
  });
}
