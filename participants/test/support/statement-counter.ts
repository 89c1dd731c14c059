import pg from 'pg';

const textOf = (config: unknown): string =>
  typeof config === 'string' ? config : ((config as { text?: string } | undefined)?.text ?? '');

/**
 * Counts the statements this process sends to PostgreSQL inside each transaction (BEGIN to COMMIT, per
 * connection), by wrapping `pg.Client#query` until `uninstall()`: what a store sends is read from the
 * wire side, not taken on its word.
 */
export class StatementCounter {
  /** The statements of every committed transaction, BEGIN and COMMIT left out, in commit order. */
  readonly committed: string[][] = [];
  private readonly open = new Map<pg.Client, string[]>();
  private readonly original = pg.Client.prototype.query;

  install(): this {
    const saw = (client: pg.Client, text: string) => this.saw(client, text);
    const original = this.original;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      saw(this, textOf(args[0]).trim());
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof pg.Client.prototype.query;
    return this;
  }

  uninstall(): void {
    pg.Client.prototype.query = this.original;
  }

  /** Committed transactions that wrote inbox rows: those that ran commands. */
  get commandTransactions(): string[][] {
    return this.committed.filter((statements) => statements.some((s) => s.includes('INSERT INTO participant_inbox')));
  }

  private saw(client: pg.Client, text: string): void {
    if (text === 'BEGIN') this.open.set(client, []);
    else if (text === 'COMMIT') {
      const statements = this.open.get(client);
      if (statements) this.committed.push(statements);
      this.open.delete(client);
    } else if (text === 'ROLLBACK') this.open.delete(client);
    else this.open.get(client)?.push(text);
  }
}
