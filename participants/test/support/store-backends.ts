import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { createTestSchema } from '@sagaflow/contracts/testing';

/** A private database for one test: a PostgreSQL schema, or a MongoDB database under `MONGO_URL`. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface StoreBackend {
  name: string;
  /** Why the backend cannot run here, if it cannot. */
  unavailable?: string;
  create(): Promise<TestDatabase>;
}

async function createMongoDatabase(base: string): Promise<TestDatabase> {
  const url = new URL(base);
  url.pathname = `/participants_${randomUUID().replaceAll('-', '')}`;
  return {
    url: url.toString(),
    drop: async () => {
      const connection = await mongoose.createConnection(url.toString()).asPromise();
      try {
        await connection.dropDatabase();
      } finally {
        await connection.close();
      }
    },
  };
}

/** Every store implementation: PostgreSQL always, MongoDB where `MONGO_URL` names a server. */
export const STORE_BACKENDS: StoreBackend[] = [
  { name: 'PostgreSQL', create: () => createTestSchema('participants') },
  {
    name: 'MongoDB',
    ...(!process.env.MONGO_URL && { unavailable: 'MONGO_URL is not set' }),
    create: () => createMongoDatabase(process.env.MONGO_URL!),
  },
];

/**
 * The replica set the MongoDB server at `url` belongs to, or null for a standalone server (such as the
 * MongoDB-wire emulator): tests that need write conflicts or transient transaction errors run only on one.
 */
export async function replicaSetOf(url: string): Promise<string | null> {
  const connection = await mongoose.createConnection(url, { serverSelectionTimeoutMS: 5_000 }).asPromise();
  try {
    const hello = await connection.db!.admin().command({ hello: 1 });
    return typeof hello.setName === 'string' ? hello.setName : null;
  } finally {
    await connection.close();
  }
}
