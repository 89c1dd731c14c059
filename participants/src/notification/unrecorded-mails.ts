import type { OutgoingMail } from './mail-sender.js';

/** Enough for every command of a few batches that failed between sending and recording. */
const DEFAULT_CAPACITY = 10_000;

/**
 * Mails sent whose record has not committed yet, by command id. A command runs again when its record
 * fails, or when the group transaction it ran in rolls back and the kit runs it alone: it then records
 * the mail it already sent instead of sending another. A crash forgets them, so a mail is still sent
 * again rather than never.
 */
export class UnrecordedMails {
  private readonly mails = new Map<string, OutgoingMail>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  get(commandId: string): OutgoingMail | undefined {
    return this.mails.get(commandId);
  }

  add(commandId: string, mail: OutgoingMail): void {
    if (this.mails.size >= this.capacity) this.mails.delete(this.mails.keys().next().value!);
    this.mails.set(commandId, mail);
  }

  recorded(commandId: string): void {
    this.mails.delete(commandId);
  }
}
