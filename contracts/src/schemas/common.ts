import { Type, type Static, type TProperties, type ObjectOptions } from '@sinclair/typebox';

/** An object schema that rejects unknown fields instead of stripping them. */
export const Strict = <T extends TProperties>(properties: T, options: ObjectOptions = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });

export const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' });
export const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Z0-9][A-Z0-9-]*$' });
export const Currency = Type.String({ pattern: '^[A-Z]{3}$' });
export const Cents = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 });
export const Quantity = Type.Integer({ minimum: 1, maximum: 10_000 });
export const Email = Type.String({ format: 'email', maxLength: 254 });
export const IsoDate = Type.String({ format: 'date-time' });

export const OrderLine = Strict({ sku: Sku, quantity: Quantity });
export type OrderLine = Static<typeof OrderLine>;

export const PricedLine = Strict({
  sku: Sku,
  name: Type.String(),
  quantity: Quantity,
  unitPriceCents: Cents,
  lineTotalCents: Cents,
});
export type PricedLine = Static<typeof PricedLine>;

/** A failure as it crosses the wire: data, never a stack trace. */
export const ErrorInfo = Strict({
  type: Type.String({ minLength: 1 }),
  message: Type.String(),
  retryable: Type.Boolean(),
});
export type ErrorInfo = Static<typeof ErrorInfo>;
