import { Option, type Command } from 'commander';
import {
  SAGA_STATUSES,
  SagaType,
  type SagaDetail,
  type SagaStatus,
  type SagaSummary,
  type TimelineEntry,
} from '@sagaflow/contracts';
import { positiveInteger, type OpsContext } from '../context.js';
import { formatFields, formatTable, type Column } from '../format/table.js';
import { OrchestratorClient } from '../orchestrator-client.js';

const SAGA_TYPES = SagaType.anyOf.map((t) => t.const);

const time = (iso: string | undefined) => iso?.replace('T', ' ');

const SUMMARY_COLUMNS: Column<SagaSummary>[] = [
  { header: 'SAGA ID', value: (s) => s.sagaId },
  { header: 'TYPE', value: (s) => s.type },
  { header: 'STATUS', value: (s) => s.status },
  { header: 'STATE', value: (s) => s.state },
  { header: 'ORDER', value: (s) => s.orderId },
  { header: 'VERSION', value: (s) => s.version, align: 'right' },
  { header: 'UPDATED', value: (s) => time(s.updatedAt) },
];

/** A timeline entry's detail as `key=value` pairs, the most readable on one line. */
const detailText = (detail: TimelineEntry['detail'] | undefined): string =>
  Object.entries(detail ?? {})
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');

const TIMELINE_COLUMNS: Column<TimelineEntry>[] = [
  { header: 'SEQ', value: (e) => e.seq, align: 'right' },
  { header: 'TIME', value: (e) => time(e.at) },
  { header: 'KIND', value: (e) => e.kind },
  { header: 'STEP', value: (e) => e.step },
  { header: 'DETAIL', value: (e) => detailText(e.detail), maxWidth: 120 },
];

function showSaga(ctx: OpsContext, saga: SagaDetail): void {
  ctx.print(
    formatFields([
      ['saga', saga.sagaId],
      ['type', saga.type],
      ['status', saga.status],
      ['state', saga.state],
      ['order', saga.orderId],
      ['version', saga.version],
      ['created', time(saga.createdAt)],
      ['updated', time(saga.updatedAt)],
    ]),
  );
  ctx.print('\ntimeline:');
  ctx.print(saga.timeline.length ? formatTable(TIMELINE_COLUMNS, saga.timeline) : '(empty)');
}

/** `saga list|show|retry|compensate`, through the orchestrator's HTTP API. */
export function addSagaCommands(program: Command, ctx: OpsContext): void {
  const client = () =>
    new OrchestratorClient({
      baseUrl: ctx.config.orchestratorUrl,
      token: ctx.config.apiToken,
      fetch: ctx.deps.fetch,
    });
  const saga = program.command('saga').description('look at sagas and act on stalled ones (ORCHESTRATOR_URL)');

  saga
    .command('list')
    .description('list sagas, newest first')
    .addOption(new Option('--status <status>', 'only sagas in this status').choices(SAGA_STATUSES))
    .addOption(new Option('--type <type>', 'only sagas of this type').choices(SAGA_TYPES))
    .option('--limit <n>', 'at most this many (1-500)', positiveInteger(500))
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .option('--json', 'print JSON for scripts')
    .action(
      async (options: { status?: SagaStatus; type?: SagaType; limit?: number; cursor?: string; json?: boolean }) => {
        const page = await client().listSagas({
          status: options.status,
          type: options.type,
          limit: options.limit,
          cursor: options.cursor,
        });
        if (options.json) return ctx.printJson(page);
        ctx.print(page.items.length ? formatTable(SUMMARY_COLUMNS, page.items) : 'no sagas');
        if (page.next) ctx.print(`\nmore: add --cursor ${page.next}`);
      },
    );

  saga
    .command('show')
    .description('show one saga and its timeline')
    .argument('<sagaId>')
    .option('--json', 'print JSON for scripts')
    .action(async (sagaId: string, options: { json?: boolean }) => {
      const detail = await client().getSaga(sagaId);
      if (options.json) ctx.printJson(detail);
      else showSaga(ctx, detail);
    });

  for (const [action, description] of [
    ['retry', 'send the pending command of a STALLED saga again'],
    ['compensate', 'give up on a STALLED saga and undo what it did'],
  ] as const) {
    saga
      .command(action)
      .description(`${description} (needs API_TOKEN when the orchestrator has one)`)
      .argument('<sagaId>')
      .option('--json', 'print JSON for scripts')
      .action(async (sagaId: string, options: { json?: boolean }) => {
        const api = client();
        const result = action === 'retry' ? await api.retrySaga(sagaId) : await api.compensateSaga(sagaId);
        if (options.json) ctx.printJson(result);
        else ctx.print(`${action} accepted: saga ${result.sagaId ?? sagaId} is ${result.status} (${result.state})`);
      });
  }
}
