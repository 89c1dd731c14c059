import { SagaflowError } from './errors.js';

export const STORE_KINDS = ['mongodb', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

const KIND_OF_SCHEME: Readonly<Record<string, StoreKind>> = {
  mongodb: 'mongodb',
  'mongodb+srv': 'mongodb',
  postgres: 'postgres',
  postgresql: 'postgres',
};
export const STORE_SCHEMES = Object.keys(KIND_OF_SCHEME);

/** Where a store lives, as `STORE_URL` says it. */
export interface StoreLocation {
  kind: StoreKind;
  /** The URL to connect with: for PostgreSQL without the `schema` parameter, which no driver reads. */
  url: string;
  /** PostgreSQL only: the schema named by `?schema=NAME`, else null (the driver's default). */
  schema: string | null;
}

/** The one reader of `STORE_URL`s: `mongodb://`, `mongodb+srv://`, `postgres://` or `postgresql://`. */
export function parseStoreUrl(url: string): StoreLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw SagaflowError.nonRetryable('invalid_store_url', `STORE_URL is not a URL (got '${url}')`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const kind = KIND_OF_SCHEME[scheme];
  if (!kind) {
    throw SagaflowError.nonRetryable(
      'invalid_store_url',
      `STORE_URL must be a ${STORE_SCHEMES.map((s) => `${s}://`).join(', ')} URL (got '${scheme}://')`,
    );
  }
  if (kind === 'mongodb') return { kind, url, schema: null };
  const schema = parsed.searchParams.get('schema') || null;
  parsed.searchParams.delete('schema');
  return { kind, url: parsed.toString(), schema };
}
