import { buildSchema, index, modelOptions, prop, Severity, type ReturnModelType } from '@typegoose/typegoose';
import mongoose, { type ClientSession } from 'mongoose';
import { RejectCommand, type Execution, type InboxKey, type ReplyPayload, type StoredReply } from './inbox.js';

@modelOptions({
  schemaOptions: { collection: 'participant_inbox', versionKey: false },
  options: { allowMixed: Severity.ALLOW },
})
@index({ service: 1, commandId: 1 }, { unique: true })
export class InboxEntry {
  @prop({ type: () => String, required: true })
  service!: string;

  @prop({ type: () => String, required: true })
  commandId!: string;

  @prop({ type: () => String, required: true })
  commandType!: string;

  @prop({ type: () => mongoose.Schema.Types.Mixed, required: true })
  reply!: unknown;

  @prop({ type: () => Date, required: true })
  createdAt!: Date;
}

/** A private mongoose connection (never the global one), so that several services share a process. */
export class MongoDatabase {
  readonly inbox: ReturnModelType<typeof InboxEntry>;

  private constructor(readonly connection: mongoose.Connection) {
    this.inbox = this.model(InboxEntry, 'InboxEntry');
  }

  static async open(url: string): Promise<MongoDatabase> {
    const connection = mongoose.createConnection(url, { serverSelectionTimeoutMS: 10_000 });
    await connection.asPromise();
    return new MongoDatabase(connection);
  }

  /** Opens a connection, lets `build` bind its models, and creates their collections and indexes. */
  static async openStore<S>(url: string, build: (db: MongoDatabase) => S): Promise<S> {
    const db = await MongoDatabase.open(url);
    try {
      const store = build(db);
      await db.syncIndexes();
      return store;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** Binds a typegoose class to this connection without typegoose's process-wide model cache. */
  model<C extends new () => object>(cls: C, name: string): ReturnModelType<C> {
    return this.connection.model(name, buildSchema(cls)) as unknown as ReturnModelType<C>;
  }

  async syncIndexes(): Promise<void> {
    for (const model of Object.values(this.connection.models)) {
      await model.createCollection().catch(() => undefined);
      await model.syncIndexes();
    }
  }

  async transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = await this.connection.startSession();
    try {
      let result: T | undefined;
      await session.withTransaction(async () => {
        result = await work(session);
      });
      return result as T;
    } finally {
      await session.endSession();
    }
  }

  async findReply(service: string, commandId: string, session?: ClientSession): Promise<StoredReply | null> {
    const entry = await this.inbox
      .findOne({ service, commandId })
      .session(session ?? null)
      .lean();
    return entry
      ? { commandType: entry.commandType as StoredReply['commandType'], reply: entry.reply as ReplyPayload }
      : null;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

const isDuplicateKey = (error: unknown): boolean => (error as { code?: number }).code === 11000;

/**
 * Runs a command's effect exactly once: the effect and its reply commit in one transaction with the
 * inbox entry keyed by command id; a concurrent duplicate fails on that key and gets the stored reply.
 */
export async function runOnceMongo<R extends ReplyPayload>(
  db: MongoDatabase,
  service: string,
  key: InboxKey,
  effect: (session: ClientSession) => Promise<Execution<R>>,
): Promise<Execution<R>> {
  const record = async (session: ClientSession, reply: ReplyPayload) => {
    await db.inbox.create(
      [{ service, commandId: key.commandId, commandType: key.commandType, reply, createdAt: new Date() }],
      { session },
    );
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (session) => {
        const stored = await db.findReply(service, key.commandId, session);
        if (stored) return { reply: stored.reply as R, duplicate: true };
        const execution = await effect(session);
        await record(session, execution.reply);
        return execution;
      });
    } catch (error) {
      if (error instanceof RejectCommand) {
        try {
          return await db.transaction(async (session) => {
            await record(session, error.reply);
            return { reply: error.reply as R, duplicate: false };
          });
        } catch (recordError) {
          if (!isDuplicateKey(recordError)) throw recordError;
        }
      } else if (!isDuplicateKey(error) || attempt >= 5) {
        throw error;
      }
      const stored = await db.findReply(service, key.commandId);
      if (stored) return { reply: stored.reply as R, duplicate: true };
    }
  }
}
