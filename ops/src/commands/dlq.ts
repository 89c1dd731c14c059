import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { notADeadLetterQueue, SagaflowError, type EditDeadLetterRequest } from '@sagaflow/contracts';
import {
  DeadLetterQueues,
  parseAssignment,
  type FieldChange,
  type DeadLetter,
  type DeadLetterDetail,
  type ReplayProgress,
  type ReplaySummary,
} from '@sagaflow/contracts/messaging';
import { OpsFailure, positiveInteger, usageError, type OpsContext } from '../context.js';
import { formatFields, formatTable, type Column } from '../format/table.js';
import { OrchestratorClient, OrchestratorError } from '../orchestrator-client.js';

/** Replays at least this long get a progress bar (on a terminal). */
const PROGRESS_BAR_FROM = 20;

const route = (d: DeadLetter) => (d.exchange === null ? null : `${d.exchange || '(default)'} ${d.routingKey ?? ''}`);

const LIST_COLUMNS: Column<DeadLetter>[] = [
  { header: 'QUEUE', value: (d) => d.queue },
  { header: 'MESSAGE ID', value: (d) => d.messageId },
  { header: 'SAGA', value: (d) => d.sagaId },
  { header: 'ORDER', value: (d) => d.orderId },
  { header: 'ROUTING KEY', value: (d) => d.routingKey },
  { header: 'REASON', value: (d) => d.reason },
  { header: 'TRIES', value: (d) => d.attempts, align: 'right' },
  { header: 'FIRST FAILURE', value: (d) => d.firstFailureAt ?? d.deadLetteredAt },
  { header: 'ERROR', value: (d) => d.error?.message, maxWidth: 60 },
];

const REPLAY_COLUMNS: Column<DeadLetter>[] = [
  { header: 'QUEUE', value: (d) => d.queue },
  { header: 'MESSAGE ID', value: (d) => d.messageId },
  { header: 'SAGA', value: (d) => d.sagaId },
  { header: 'TYPE', value: (d) => d.type },
  { header: 'TO', value: route },
];

async function withDeadLetters<T>(ctx: OpsContext, work: (dlq: DeadLetterQueues) => Promise<T>): Promise<T> {
  const dlq = await DeadLetterQueues.connect(ctx.config.amqpUrl, ctx.config.topology, {
    managementUrl: ctx.config.managementUrl,
    onWarning: (message) => void ctx.deps.stderr.write(`warning: ${message}\n`),
  });
  try {
    return await work(dlq);
  } finally {
    await dlq.close();
  }
}

/** Refuses, as bad usage, a queue that is not one of the topology's dead-letter queues. */
function checkQueue(ctx: OpsContext, command: Command, queue: string | undefined): void {
  const problem = queue === undefined ? null : notADeadLetterQueue(ctx.config.topology, queue);
  if (problem) usageError(command, problem);
}

function showDetail(ctx: OpsContext, detail: DeadLetterDetail): void {
  ctx.print(
    formatFields([
      ['message id', detail.messageId],
      ['queue', detail.queue],
      ['failed on', detail.sourceQueue],
      ['saga', detail.sagaId],
      ['order', detail.orderId],
      ['type', detail.type],
      ['original route', route(detail)],
      ['reason', detail.reason],
      ['error', detail.error ? `${detail.error.type}: ${detail.error.message}` : null],
      ['attempts', detail.attempts],
      ['first failure at', detail.firstFailureAt],
      ['dead-lettered at', detail.deadLetteredAt],
      ['dead-lettered by', detail.deadLetteredBy],
      ['replayed at', detail.replayedAt],
    ]),
  );
  ctx.print(`\nheaders:\n${JSON.stringify(detail.headers, null, 2)}`);
  ctx.print(`\nbody:\n${detail.body === null ? detail.rawBody : JSON.stringify(detail.body, null, 2)}`);
}

function progressBar(ctx: OpsContext): { update(p: ReplayProgress): void; stop(): void } {
  const stream = ctx.deps.stderr;
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(p) {
      if (bar === null) {
        if (p.total < PROGRESS_BAR_FROM) return;
        bar = new cliProgress.SingleBar(
          {
            stream: stream as unknown as NodeJS.WritableStream,
            format: 'replaying [{bar}] {value}/{total} looked at | {replayed} replayed, {failed} failed',
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, 0, { replayed: 0, failed: 0 });
      }
      bar.update(p.scanned, { replayed: p.replayed, failed: p.failed });
    },
    stop() {
      bar?.stop();
    },
  };
}

function reportReplay(ctx: OpsContext, summary: ReplaySummary): void {
  if (summary.matched === 0) {
    ctx.print('no dead letters matched');
    return;
  }
  if (summary.dryRun) {
    ctx.print(`dry run: ${summary.matched} dead letter(s) would be replayed\n`);
    ctx.print(formatTable(REPLAY_COLUMNS, summary.messages));
    return;
  }
  ctx.print(`replayed ${summary.replayed} of ${summary.matched} matching dead letter(s)`);
  if (summary.failed.length) {
    ctx.print(`\n${summary.failed.length} could not be replayed and stay in their queue:\n`);
    ctx.print(
      formatTable(
        [
          { header: 'QUEUE', value: (f) => f.queue },
          { header: 'MESSAGE ID', value: (f) => f.messageId },
          { header: 'REASON', value: (f) => f.reason },
        ],
        summary.failed,
      ),
    );
  }
}

const CHANGE_COLUMNS: Column<FieldChange>[] = [
  { header: 'PATH', value: (c) => c.path },
  { header: 'FROM', value: (c) => (c.from === undefined ? '(none)' : JSON.stringify(c.from)), maxWidth: 60 },
  { header: 'TO', value: (c) => (c.to === undefined ? '(removed)' : JSON.stringify(c.to)), maxWidth: 60 },
];

/** The edit `dlq edit` was asked for; bad usage (exit code 2) when it is not one clear edit. */
function editRequestOf(
  command: Command,
  options: { set?: string[]; file?: string; dryRun?: boolean },
): EditDeadLetterRequest {
  const set = options.set ?? [];
  if (set.length > 0 === (options.file !== undefined)) {
    usageError(command, 'give the edit as --set path=value (one or more) or as --file <message.json>, not both');
  }
  const dryRun = options.dryRun === true;
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      return usageError(command, `cannot read ${options.file}: ${(error as Error).message}`);
    }
    try {
      return { replace: JSON.parse(text), dryRun };
    } catch (error) {
      return usageError(command, `${options.file} is not JSON: ${(error as Error).message}`);
    }
  }
  try {
    return { set: set.map(parseAssignment), dryRun };
  } catch (error) {
    if (error instanceof SagaflowError) return usageError(command, error.message);
    throw error;
  }
}

/** `dlq list|show|replay|purge|edit`. */
export function addDlqCommands(program: Command, ctx: OpsContext): void {
  const dlq = program
    .command('dlq')
    .description("inspect, replay and purge the dead-letter queues ('<work queue>.dlq')");

  dlq
    .command('list')
    .description('list dead letters (nothing is removed)')
    .option('--queue <queue>', 'only this dead-letter queue, e.g. payment.commands.dlq')
    .option('--limit <n>', 'at most this many', positiveInteger(100_000))
    .option('--json', 'print JSON for scripts')
    .action(async (options: { queue?: string; limit?: number; json?: boolean }, command: Command) => {
      checkQueue(ctx, command, options.queue);
      const items = await withDeadLetters(ctx, (q) => q.list({ queue: options.queue, limit: options.limit }));
      if (options.json) ctx.printJson({ items });
      else if (items.length === 0) ctx.print('no dead letters');
      else ctx.print(formatTable(LIST_COLUMNS, items));
    });

  dlq
    .command('show')
    .description('show one dead letter with its headers and body')
    .argument('<messageId>', 'the message id, as `dlq list` shows it')
    .option('--json', 'print JSON for scripts')
    .action(async (messageId: string, options: { json?: boolean }) => {
      const detail = await withDeadLetters(ctx, (q) => q.show(messageId));
      if (detail === null) throw new OpsFailure(`no dead letter with message id '${messageId}'`);
      if (options.json) ctx.printJson(detail);
      else showDetail(ctx, detail);
    });

  dlq
    .command('replay')
    .description(
      'send dead letters back to their original exchange and routing key; each leaves its queue only once the broker confirmed the copy',
    )
    .option('--queue <queue>', 'replay this dead-letter queue')
    .option('--saga <sagaId>', "replay this saga's dead letters")
    .option('--all', 'replay every dead letter of every queue')
    .option('--dry-run', 'show what would be replayed and change nothing')
    .option('--json', 'print the summary as JSON for scripts')
    .addHelpText(
      'after',
      '\nOne of --queue, --saga or --all is required. Exit code 1 when a message could not be replayed.',
    )
    .action(
      async (
        options: { queue?: string; saga?: string; all?: boolean; dryRun?: boolean; json?: boolean },
        command: Command,
      ) => {
        if (options.queue === undefined && options.saga === undefined && !options.all) {
          usageError(command, 'say what to replay: --queue <queue>, --saga <sagaId> or --all');
        }
        checkQueue(ctx, command, options.queue);
        const bar = progressBar(ctx);
        let summary: ReplaySummary;
        try {
          summary = await withDeadLetters(ctx, (q) =>
            q.replay({
              queue: options.queue,
              sagaId: options.saga,
              all: options.all,
              dryRun: options.dryRun,
              onProgress: (p) => bar.update(p),
            }),
          );
        } finally {
          bar.stop();
        }
        if (options.json) ctx.printJson(summary);
        else reportReplay(ctx, summary);
        if (summary.failed.length) ctx.exitCode = 1;
      },
    );

  dlq
    .command('purge')
    .description('delete every message of one dead-letter queue')
    .addOption(new Option('--queue <queue>', 'the dead-letter queue to empty').makeOptionMandatory())
    .option('--yes', 'confirm: the messages are gone for good')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { queue: string; yes?: boolean; json?: boolean }, command: Command) => {
      checkQueue(ctx, command, options.queue);
      if (!options.yes) usageError(command, `purging ${options.queue} deletes its messages for good; add --yes`);
      const purged = await withDeadLetters(ctx, (q) => q.purge(options.queue));
      if (options.json) ctx.printJson({ queue: options.queue, purged });
      else ctx.print(`purged ${purged} message(s) from ${options.queue}`);
    });

  dlq
    .command('edit')
    .description(
      "change a dead letter and send it again, through the orchestrator: the edit is checked against the message's schema, and recorded in its saga's timeline",
    )
    .argument('<messageId>', 'the message id, as `dlq list` shows it')
    .option(
      '--set <path=value...>',
      'a value at a dotted path of the message body, e.g. payload.token=tok_visa (JSON or text)',
    )
    .option('--file <file>', 'a whole new message body (JSON)')
    .option('--dry-run', 'check the edit and show the change, send nothing')
    .option('--json', 'print the answer as JSON for scripts')
    .addHelpText(
      'after',
      '\nOne of --set or --file is required. messageId, type, schemaVersion, sagaId and commandId cannot change.\nExit code 1 when the orchestrator refuses the edit (it stays in its queue).',
    )
    .action(
      async (
        messageId: string,
        options: { set?: string[]; file?: string; dryRun?: boolean; json?: boolean },
        command: Command,
      ) => {
        const request = editRequestOf(command, options);
        const client = new OrchestratorClient({
          baseUrl: ctx.config.orchestratorUrl,
          token: ctx.config.apiToken,
          fetch: ctx.deps.fetch,
        });
        const answer = await client.editDeadLetter(messageId, request).catch((error: unknown) => {
          if (error instanceof OrchestratorError && error.status === 404) {
            throw new OpsFailure(`no dead letter with message id '${messageId}'`);
          }
          throw error;
        });
        if (options.json) {
          ctx.printJson(answer);
          return;
        }
        const { deadLetter, changes } = answer;
        if (answer.dryRun) ctx.print(`dry run: the edit is valid; ${messageId} would be sent to ${route(deadLetter)}`);
        else ctx.print(`replayed ${messageId} to ${route(deadLetter)}`);
        ctx.print(changes.length ? `\n${formatTable(CHANGE_COLUMNS, changes)}` : '\nno changes');
        if (answer.replayed && deadLetter.sagaId) {
          ctx.print(
            answer.recorded
              ? `\nrecorded in the timeline of saga ${deadLetter.sagaId}`
              : `\nsaga ${deadLetter.sagaId} is unknown to the orchestrator: nothing recorded`,
          );
        }
      },
    );
}
