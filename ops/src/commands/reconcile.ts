import { InvalidArgumentError, type Command } from 'commander';
import { durationMs, type Anomaly } from '@sagaflow/contracts';
import type { OpsContext } from '../context.js';
import { formatTable, type Column } from '../format/table.js';
import { OrchestratorClient } from '../orchestrator-client.js';

const ANOMALY_COLUMNS: Column<Anomaly>[] = [
  { header: 'KIND', value: (a) => a.kind },
  { header: 'ORDER', value: (a) => a.orderId },
  { header: 'SAGA', value: (a) => a.sagaId },
  { header: 'WHAT IS WRONG', value: (a) => a.detail, maxWidth: 80 },
  { header: 'ACTION', value: (a) => a.action, maxWidth: 70 },
];

/** Checks `--stalled-after` here, so that a bad one is a usage error before anything is asked. */
function duration(value: string): string {
  try {
    durationMs(value);
    return value;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** `reconcile`: asks the orchestrator whether money or stock was left behind; exit 1 when it was. */
export function addReconcileCommand(program: Command, ctx: OpsContext): void {
  program
    .command('reconcile')
    .description(
      'cross-check orders and sagas against payments, stock and notifications (ORCHESTRATOR_URL, API_TOKEN); ' +
        'exit 1 when anomalies are found',
    )
    .option(
      '--stalled-after <duration>',
      'sagas unchanged this long are stalled; younger orders are not judged (e.g. 30s, 5m)',
      duration,
    )
    .option('--json', 'print the whole report as JSON for scripts')
    .action(async (options: { stalledAfter?: string; json?: boolean }) => {
      const client = new OrchestratorClient({
        baseUrl: ctx.config.orchestratorUrl,
        token: ctx.config.apiToken,
        fetch: ctx.deps.fetch,
        // Reading every participant's records takes a while on a large store.
        timeoutMs: 120_000,
      });
      const report = await client.reconcile({ stalledAfter: options.stalledAfter });
      if (report.anomalies.length > 0) ctx.exitCode = 1;
      if (options.json) return ctx.printJson(report);
      const { orders, sagas, charges, refunds, reservations, notifications } = report.counts;
      const checked =
        `${orders} orders checked (${sagas} sagas, ${charges} charges, ${refunds} refunds, ` +
        `${reservations} reservations, ${notifications} notifications)`;
      if (report.anomalies.length === 0) {
        ctx.print(`no anomalies: ${checked}`);
        return;
      }
      ctx.print(formatTable(ANOMALY_COLUMNS, report.anomalies));
      ctx.print(`\n${report.anomalies.length} anomalies: ${checked}`);
    });
}
