import { expect } from 'chai';
import type { FailureReason } from '@sagaflow/contracts';
import { createTestSchema, type TestSchema } from '@sagaflow/contracts/testing';
import { openInventoryStore, openPaymentStore, type InventoryStore, type PaymentStore } from '../../src/index.js';
import type { InventoryCommand } from '../../src/inventory/inventory-store.js';
import type { PaymentCommand } from '../../src/payment/payment-store.js';
import { chargePayload, newId } from '../support/harness.js';
import { StatementCounter } from '../support/statement-counter.js';

/** Replies with the payment ids they name replaced by their order of first appearance. */
function comparable(replies: unknown[]): unknown[] {
  const ids = new Map<string, string>();
  return JSON.parse(
    JSON.stringify(replies).replace(/pay-[0-9a-f-]{36}/g, (id) => {
      if (!ids.has(id)) ids.set(id, `payment-${ids.size}`);
      return ids.get(id)!;
    }),
  ) as unknown[];
}

/**
 * A batch run by `runBatch` on PostgreSQL decides what the same commands would decide one by one, with
 * the same number of statements however many commands it holds.
 */
describe('batches of commands on PostgreSQL stores', () => {
  const schemas: TestSchema[] = [];
  let counter: StatementCounter;

  const newSchema = async () => {
    const schema = await createTestSchema('participants');
    schemas.push(schema);
    return schema.url;
  };

  beforeEach(() => {
    counter = new StatementCounter().install();
  });

  afterEach(async () => {
    counter.uninstall();
    for (const schema of schemas.splice(0)) await schema.drop();
  });

  /** The statements of the one transaction `work` commits. */
  const statementsOf = async <T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> => {
    const before = counter.committed.length;
    const result = await work();
    expect(counter.committed.length - before).to.equal(1);
    return { result, statements: counter.committed.at(-1)! };
  };

  describe('payment', () => {
    let alone: PaymentStore;
    let batched: PaymentStore;

    beforeEach(async () => {
      alone = await openPaymentStore(await newSchema());
      batched = await openPaymentStore(await newSchema());
    });

    afterEach(async () => {
      await alone.close();
      await batched.close();
    });

    const one = (store: PaymentStore, c: PaymentCommand) =>
      c.kind === 'charge' ? store.charge(c.key, c.command, c.decline) : store.refund(c.key, c.command);

    const ledgerOf = async (store: PaymentStore, orderIds: string[]) =>
      Promise.all(orderIds.map(async (id) => (await store.listByOrder(id)).map((p) => [p.kind, p.amountCents])));

    it('charges, refunds and voids in delivery order, as one by one, in three statements', async () => {
      const [a, b, c] = [newId('order'), newId('order'), newId('order')];
      const charge = (orderId: string, amountCents = 4200, decline: FailureReason | null = null) =>
        ({
          kind: 'charge',
          key: { commandId: newId('cmd'), commandType: 'payment.charge' },
          command: chargePayload(orderId, { amountCents }),
          decline,
        }) as const;
      const refund = (orderId: string) =>
        ({
          kind: 'refund',
          key: { commandId: newId('cmd'), commandType: 'payment.refund' },
          command: { orderId },
        }) as const;
      const commands: PaymentCommand[] = [
        charge(a),
        charge(a, 9999), // the order is charged: its charge again
        refund(a),
        refund(a), // refunded once
        refund(b), // nothing charged: voided
        charge(b), // voided: refused
        charge(c, 100, { code: 'card_declined', message: 'declined' }),
        charge(c, 300), // a declined attempt is no charge
      ];
      const expected = [];
      for (const command of commands) expected.push(await one(alone, command));

      const { result, statements } = await statementsOf(() => batched.runBatch!(commands));
      expect(comparable(result)).to.deep.equal(comparable(expected));
      expect(await ledgerOf(batched, [a, b, c])).to.deep.equal(await ledgerOf(alone, [a, b, c]));
      expect(statements).to.have.length(3);

      const many = Array.from({ length: 50 }, () => charge(newId('order')));
      expect((await statementsOf(() => batched.runBatch!(many))).statements).to.have.length(3);
    });
  });

  describe('inventory', () => {
    let alone: InventoryStore;
    let batched: InventoryStore;
    const seed = [
      { sku: 'A-1', name: 'A', priceCents: 100, available: 3 },
      { sku: 'B-1', name: 'B', priceCents: 250, available: 2 },
    ];

    beforeEach(async () => {
      alone = await openInventoryStore(await newSchema());
      batched = await openInventoryStore(await newSchema());
      await alone.seed(seed);
      await batched.seed(seed);
    });

    afterEach(async () => {
      await alone.close();
      await batched.close();
    });

    const one = (store: InventoryStore, c: InventoryCommand) =>
      c.kind === 'reserve' ? store.reserve(c.key, c.command) : store.release(c.key, c.command);

    const stateOf = async (store: InventoryStore, orderIds: string[]) => ({
      products: await store.listProducts(),
      reservations: await Promise.all(
        orderIds.map(async (id) => {
          const r = await store.getReservation(id);
          return r && { state: r.state, lines: r.lines, totalCents: r.totalCents };
        }),
      ),
    });

    it('reserves and releases in delivery order, as one by one, in three statements', async () => {
      const orders = Array.from({ length: 6 }, () => newId('order'));
      const reserve = (orderId: string, items: { sku: string; quantity: number }[]) =>
        ({
          kind: 'reserve',
          key: { commandId: newId('cmd'), commandType: 'inventory.reserve' },
          command: { orderId, items },
        }) as const;
      const release = (orderId: string) =>
        ({
          kind: 'release',
          key: { commandId: newId('cmd'), commandType: 'inventory.release' },
          command: { orderId },
        }) as const;
      const [o1, o2, o3, o4, o5, o6] = orders as [string, string, string, string, string, string];
      const commands: InventoryCommand[] = [
        reserve(o1, [
          { sku: 'A-1', quantity: 2 },
          { sku: 'B-1', quantity: 1 },
        ]),
        reserve(o2, [{ sku: 'A-1', quantity: 2 }]), // 1 left: refused, all or nothing
        reserve(o3, [
          { sku: 'A-1', quantity: 1 },
          { sku: 'B-1', quantity: 1 },
        ]), // takes the last of both
        reserve(o1, [{ sku: 'B-1', quantity: 5 }]), // already reserved: the same answer
        release(o1), // gives back 2 A-1 and 1 B-1
        reserve(o2, [{ sku: 'A-1', quantity: 2 }]), // now there is stock
        release(o4), // never reserved: tombstoned
        reserve(o4, [{ sku: 'A-1', quantity: 1 }]), // voided
        reserve(o5, [{ sku: 'NOPE', quantity: 1 }]),
        release(o6),
        release(o6), // once
      ];
      const expected = [];
      for (const command of commands) expected.push(await one(alone, command));

      const { result, statements } = await statementsOf(() => batched.runBatch!(commands));
      expect(result).to.deep.equal(expected);
      expect(await stateOf(batched, orders)).to.deep.equal(await stateOf(alone, orders));
      expect(statements).to.have.length(3);

      const many = Array.from({ length: 50 }, () => reserve(newId('order'), [{ sku: 'A-1', quantity: 1 }]));
      const { result: refused, statements: fewer } = await statementsOf(() => batched.runBatch!(many));
      expect(refused.map((e) => e.reply.outcome)).to.deep.equal(Array(50).fill('failure'));
      expect(fewer).to.have.length(3);
    });
  });
});
