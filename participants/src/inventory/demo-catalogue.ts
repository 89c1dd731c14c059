import type { ProductSeed } from './inventory-store.js';

/** What a fresh inventory sells, so that a demo order works on first start. */
export const DEMO_CATALOGUE: readonly ProductSeed[] = [
  { sku: 'BOOK-001', name: 'Designing Data-Intensive Applications', priceCents: 4599, available: 100 },
  { sku: 'BOOK-002', name: 'Enterprise Integration Patterns', priceCents: 5999, available: 50 },
  { sku: 'MUG-001', name: 'Saga Mug', priceCents: 1299, available: 200 },
  { sku: 'SHIRT-S', name: 'Sagaflow T-Shirt (S)', priceCents: 2499, available: 40 },
  { sku: 'SHIRT-M', name: 'Sagaflow T-Shirt (M)', priceCents: 2499, available: 60 },
  { sku: 'SHIRT-L', name: 'Sagaflow T-Shirt (L)', priceCents: 2499, available: 40 },
  { sku: 'STICKER-001', name: 'Rabbit Sticker Pack', priceCents: 399, available: 1000 },
  { sku: 'KEYBOARD-001', name: 'Mechanical Keyboard', priceCents: 14999, available: 10 },
];
