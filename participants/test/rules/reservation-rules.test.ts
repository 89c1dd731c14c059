import { expect } from 'chai';
import type { Product } from '@sagaflow/contracts';
import type { Reservation } from '../../src/inventory/inventory-store.js';
import { decideCommit, decideRelease, decideReserve } from '../../src/inventory/reservation-rules.js';

const products = new Map<string, Product>([
  ['apple', { sku: 'apple', name: 'Apple', priceCents: 50, available: 10, reserved: 0 }],
  ['pear', { sku: 'pear', name: 'Pear', priceCents: 80, available: 1, reserved: 2 }],
]);
const reserve = (items: { sku: string; quantity: number }[]) => ({ orderId: 'o1', items });
const lines = [
  { sku: 'apple', name: 'Apple', quantity: 2, unitPriceCents: 50, lineTotalCents: 100 },
  { sku: 'pear', name: 'Pear', quantity: 1, unitPriceCents: 80, lineTotalCents: 80 },
  { sku: 'apple', name: 'Apple', quantity: 3, unitPriceCents: 50, lineTotalCents: 150 },
];
const reservation = (state: Reservation['state']): Reservation => ({
  orderId: 'o1',
  state,
  lines,
  totalCents: 330,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

describe('inventory decisions', () => {
  describe('reserve', () => {
    it('takes every line from the stock read, summing a sku named twice', () => {
      const decision = decideReserve(
        null,
        products,
        reserve([
          { sku: 'apple', quantity: 2 },
          { sku: 'pear', quantity: 1 },
          { sku: 'apple', quantity: 3 },
        ]),
      );
      expect(decision).to.deep.equal({
        reply: { outcome: 'success', result: { lines, totalCents: 330 } },
        duplicate: false,
        write: {
          kind: 'reserve',
          lines,
          totalCents: 330,
          stock: [
            { sku: 'apple', quantity: 5, available: 5 },
            { sku: 'pear', quantity: 1, available: 0 },
          ],
        },
      });
    });

    it('takes nothing when one sku is short or unknown', () => {
      const short = decideReserve(
        null,
        products,
        reserve([
          { sku: 'apple', quantity: 1 },
          { sku: 'pear', quantity: 2 },
        ]),
      );
      expect(short.write).to.equal(undefined);
      expect(short.reply).to.have.nested.property('reason.code', 'out_of_stock');
      const unknown = decideReserve(null, products, reserve([{ sku: 'plum', quantity: 1 }]));
      expect(unknown.write).to.equal(undefined);
      expect(unknown.reply).to.have.nested.property('reason.code', 'unknown_sku');
    });

    it('answers an order reserved before with its reservation, and a released one with order_voided', () => {
      expect(decideReserve(reservation('reserved'), products, reserve([{ sku: 'apple', quantity: 9 }]))).to.deep.equal({
        reply: { outcome: 'success', result: { lines, totalCents: 330 } },
        duplicate: true,
      });
      const voided = decideReserve(reservation('released'), products, reserve([{ sku: 'apple', quantity: 1 }]));
      expect(voided.write).to.equal(undefined);
      expect(voided.reply).to.have.nested.property('reason.code', 'order_voided');
    });
  });

  describe('release', () => {
    const released = [
      { sku: 'apple', quantity: 5 },
      { sku: 'pear', quantity: 1 },
    ];

    it('gives back exactly what a reserved order holds', () => {
      expect(decideRelease(reservation('reserved'))).to.deep.equal({
        reply: { outcome: 'success', result: { released } },
        duplicate: false,
        write: { kind: 'release', from: 'reserved', fromReserved: true, stock: released },
      });
    });

    it('restocks a committed order without touching what is reserved', () => {
      expect(decideRelease(reservation('committed')).write).to.deep.equal({
        kind: 'release',
        from: 'committed',
        fromReserved: false,
        stock: released,
      });
    });

    it('releases once: a released order gives nothing back again', () => {
      expect(decideRelease(reservation('released'))).to.deep.equal({
        reply: { outcome: 'success', result: { released: [] } },
        duplicate: true,
      });
    });

    it('tombstones an order released before it was reserved', () => {
      expect(decideRelease(null)).to.deep.equal({
        reply: { outcome: 'success', result: { released: [] } },
        duplicate: false,
        write: { kind: 'tombstone' },
      });
    });
  });

  describe('commit', () => {
    it('sells what a reserved order holds', () => {
      expect(decideCommit(reservation('reserved'))).to.deep.equal({
        kind: 'commit',
        stock: [
          { sku: 'apple', quantity: 5 },
          { sku: 'pear', quantity: 1 },
        ],
      });
    });

    it('commits nothing twice, nothing released and nothing never reserved', () => {
      expect(decideCommit(reservation('committed'))).to.equal(null);
      expect(decideCommit(reservation('released'))).to.equal(null);
      expect(decideCommit(null)).to.equal(null);
    });
  });
});
