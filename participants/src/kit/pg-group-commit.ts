import type { GroupCommit, StoredReply } from './inbox.js';
import { findPgReplies, type PgDatabase } from './pg-database.js';

/** Group commit on PostgreSQL: one inbox query, one transaction (one WAL flush) for a batch of commands. */
export class PgGroupCommit implements GroupCommit {
  constructor(
    private readonly db: PgDatabase,
    private readonly service: string,
  ) {}

  findReplies(commandIds: string[]): Promise<Map<string, StoredReply>> {
    return findPgReplies(this.db, this.service, commandIds);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.groupTransaction(work);
  }
}
