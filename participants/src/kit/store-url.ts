import { SagaflowError } from '@sagaflow/contracts';

export type StoreKind = 'postgres' | 'mongodb';

/** Which store implementation a `STORE_URL` asks for, by its scheme. */
export function storeKindOf(url: string): StoreKind {
  let scheme: string;
  try {
    scheme = new URL(url).protocol.replace(/:$/, '');
  } catch {
    throw SagaflowError.nonRetryable('invalid_store_url', `STORE_URL is not a URL: '${url}'`);
  }
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mongodb' || scheme === 'mongodb+srv') return 'mongodb';
  throw SagaflowError.nonRetryable(
    'invalid_store_url',
    `STORE_URL must be mongodb:// or postgres://, not '${scheme}:'`,
  );
}
