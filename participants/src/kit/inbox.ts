import type { CommandType, FailureReason, MessageType, PayloadOf, ReplyType } from '@sagaflow/contracts';

/** The reply payload answering command type `T`. */
export type ReplyOf<T extends CommandType> = `${T}.reply` extends infer R extends MessageType ? PayloadOf<R> : never;
export type ReplyPayload = PayloadOf<ReplyType>;

/** Identifies one command in a participant's inbox. */
export interface InboxKey {
  commandId: string;
  commandType: CommandType;
}

/** A reply recorded with the effect of the command it answers. */
export interface StoredReply {
  commandType: CommandType;
  reply: ReplyPayload;
}

/** What running a command once produced; `duplicate` when the command (or its order) had already been handled. */
export interface Execution<R = ReplyPayload> {
  reply: R;
  duplicate: boolean;
}

/**
 * Group commit: the kit reads the stored replies of the commands it was handed together in one query,
 * and runs the effects of the new ones in one transaction (one COMMIT). A store without it runs every
 * command alone.
 */
export interface GroupCommit {
  /** The stored replies of these commands, by command id (absent: not handled yet). */
  findReplies(commandIds: string[]): Promise<Map<string, StoredReply>>;
  /** Runs `work` in ONE transaction that every effect run inside it joins; any failure rolls all back. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
}

/** The read side of an inbox: the kit answers a duplicate from here without running the effect. */
export interface InboxReader {
  findReply(commandId: string): Promise<StoredReply | null>;
  /** Present where the store can commit many commands' effects at once. */
  readonly groupCommit?: GroupCommit;
}

/** Every store closes its connections on shutdown. */
export interface Closeable {
  close(): Promise<void>;
}

/**
 * Thrown inside an effect to roll back its writes and record a business failure reply instead
 * (used where the failure is only known after some writes, as in a MongoDB transaction).
 */
export class RejectCommand extends Error {
  constructor(readonly reply: ReplyPayload) {
    super('command rejected');
    this.name = 'RejectCommand';
  }
}

export const failure = (code: FailureReason['code'], message: string) =>
  ({ outcome: 'failure', reason: { code, message: message.slice(0, 500) } }) as const;

export const success = <T>(result: T) => ({ outcome: 'success', result }) as const;
