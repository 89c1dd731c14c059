import { randomUUID } from 'node:crypto';
import pg from 'pg';

export interface TestSchema {
  name: string;
  /** `PG_URL` with `?schema=<name>`, the form every Sagaflow PostgreSQL store accepts. */
  url: string;
  drop(): Promise<void>;
}

export const testPgUrl = (): string => process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh PostgreSQL schema for one test; `drop()` removes it and everything in it. */
export async function createTestSchema(prefix = 'test'): Promise<TestSchema> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '')}`.toLowerCase();
  const base = testPgUrl();
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.searchParams.set('schema', name);
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
