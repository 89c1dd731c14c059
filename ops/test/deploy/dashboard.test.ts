import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { findRepoRoot, startTestSystem, type TestSystem } from '@sagaflow/contracts/testing';

const root = findRepoRoot();
const dashboardPath = join(root, 'ops', 'config', 'grafana', 'dashboards', 'sagaflow.json');

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

/** Metric names a PromQL expression reads (a name followed by `{`, `[` or `)`), histogram suffixes removed. */
const metricsOf = (expr: string): string[] =>
  [...expr.matchAll(/\b((?:sagaflow|rabbitmq)_[a-z0-9_]+)\s*[{[)]/g)].map((m) =>
    m[1].replace(/_(bucket|sum|count)$/, ''),
  );

/** Metric families a /metrics page declares (`# TYPE name …`). */
async function familiesAt(url: string): Promise<Set<string>> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
}

describe('the Sagaflow Grafana dashboard (ops/config/grafana)', function () {
  this.timeout(60_000);
  let started: TestSystem;
  const used = new Map<string, string>();

  before(async () => {
    const dashboard = JSON.parse(await readFile(dashboardPath, 'utf8')) as Dashboard;
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) for (const name of metricsOf(target.expr)) used.set(name, panel.title);
    }
    started = await startTestSystem({ prefix: 'dashboard' });
  });

  after(async () => {
    await started?.cleanup();
  });

  it('has the panels of an operator: outcomes, step latency, in flight, outbox, queues and dead letters', () => {
    expect([...used.keys()]).to.include.members([
      'sagaflow_sagas_finished_total',
      'sagaflow_step_duration_seconds',
      'sagaflow_sagas_in_flight',
      'sagaflow_outbox_pending',
      'rabbitmq_queue_messages_ready',
      'rabbitmq_queue_messages',
    ]);
  });

  it('reads only metrics the services export', async () => {
    const { system } = started;
    const exported = new Set<string>();
    for (const service of ['orchestrator', 'inventory', 'payment', 'notification'] as const) {
      for (const name of await familiesAt(`${system.url(service)}/metrics`)) exported.add(name);
    }
    const missing = [...used].filter(([name]) => name.startsWith('sagaflow_') && !exported.has(name));
    expect(missing.map(([name, panel]) => `${name} (${panel})`)).to.deep.equal([]);
  });

  it("reads only metrics RabbitMQ's prometheus plugin exports", async function () {
    const host = new URL(process.env.AMQP_URL ?? 'amqp://127.0.0.1').hostname;
    const exported = await familiesAt(`http://${host}:15692/metrics`).catch(() => null);
    if (exported === null) {
      process.stderr.write(`      RabbitMQ's prometheus plugin does not answer on ${host}:15692: SKIPPED\n`);
      this.skip();
    }
    const missing = [...used].filter(([name]) => name.startsWith('rabbitmq_') && !exported!.has(name));
    expect(missing.map(([name, panel]) => `${name} (${panel})`)).to.deep.equal([]);
  });
});
