import { expect } from 'chai';
import { SagaDetail, SagaSummary, validator } from '@sagaflow/contracts';
import { startOrchestratorFixtureServer, type FixtureServer } from './support/orchestrator-fixture-server.js';
import { COMPLETED_SAGA, STALLED_SAGA, summaryOf } from './support/recorded-orchestrator-fixtures.js';
import { runCli } from './support/run-cli.js';

const TOKEN = 'secret-token';

describe('sagaflow-ops saga', () => {
  let server: FixtureServer;
  let env: Record<string, string>;
  const cli = (...argv: string[]) => runCli(argv, env);

  beforeEach(async () => {
    server = await startOrchestratorFixtureServer(TOKEN);
    env = { ORCHESTRATOR_URL: server.url, API_TOKEN: TOKEN };
  });

  afterEach(() => server.close());

  it('uses fixtures that match the contract schemas', () => {
    expect(validator(SagaDetail)(STALLED_SAGA).ok).to.equal(true);
    expect(validator(SagaSummary)(summaryOf(STALLED_SAGA)).ok).to.equal(true);
    expect(validator(SagaSummary)(COMPLETED_SAGA).ok).to.equal(true);
  });

  it('lists sagas as a table with the next cursor, and as the API returns them with --json', async () => {
    const table = await cli('saga', 'list');
    expect(table.code).to.equal(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^SAGA ID\s+TYPE\s+STATUS\s+STATE\s+ORDER\s+VERSION\s+UPDATED$/);
    expect(lines[1]).to.match(/^saga-7f3a\s+order\s+STALLED\s+chargingPayment\s+order-7f3a\s+6\s+2025-03-01 10:00:31/);
    expect(table.stdout).to.contain('--cursor cursor-2');

    const json = await cli('saga', 'list', '--status', 'STALLED', '--type', 'order', '--limit', '5', '--json');
    expect(json.code).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal({ items: [summaryOf(STALLED_SAGA)], next: null });
    expect(server.requests.at(-1)!.url).to.equal('/sagas?status=STALLED&type=order&limit=5');
    expect(server.requests.at(-1)!.authorization).to.equal(`Bearer ${TOKEN}`);
  });

  it('shows a saga with its timeline as a table', async () => {
    const shown = await cli('saga', 'show', STALLED_SAGA.sagaId);
    expect(shown.code).to.equal(0);
    expect(shown.stdout).to.match(/status\s+STALLED/);
    const timeline = shown.stdout.split('timeline:\n')[1]!.trimEnd().split('\n');
    expect(timeline[0]).to.match(/^SEQ\s+TIME\s+KIND\s+STEP\s+DETAIL$/);
    expect(timeline).to.have.length(STALLED_SAGA.timeline.length + 1);
    expect(timeline[1]).to.match(/^\s*1\s+2025-03-01 10:00:00.000Z\s+saga.started\s+-\s+orderId=order-7f3a$/);
    expect(timeline[4]).to.match(/chargePayment\s+command=payment.charge commandId=cmd-2$/);

    const json = await cli('saga', 'show', STALLED_SAGA.sagaId, '--json');
    expect(JSON.parse(json.stdout)).to.deep.equal(STALLED_SAGA);

    const missing = await cli('saga', 'show', 'saga-none');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('saga not found');
  });

  it('retries and compensates with the bearer token', async () => {
    const retried = await cli('saga', 'retry', STALLED_SAGA.sagaId);
    expect(retried.code).to.equal(0);
    expect(retried.stdout).to.contain('retry accepted: saga saga-7f3a is RUNNING');
    expect(server.requests.at(-1)).to.deep.equal({
      method: 'POST',
      url: `/sagas/${STALLED_SAGA.sagaId}/retry`,
      authorization: `Bearer ${TOKEN}`,
    });

    const compensated = await cli('saga', 'compensate', STALLED_SAGA.sagaId, '--json');
    expect(compensated.code).to.equal(0);
    expect(JSON.parse(compensated.stdout)).to.include({ sagaId: STALLED_SAGA.sagaId, status: 'COMPENSATING' });
  });

  it('exits 1 with the reason on 401, 404 and 409', async () => {
    for (const token of [undefined, 'wrong-token']) {
      const run = await runCli(['saga', 'retry', STALLED_SAGA.sagaId], {
        ORCHESTRATOR_URL: server.url,
        API_TOKEN: token,
      });
      expect(run.code).to.equal(1);
      expect(run.stderr).to.equal('error: unauthorized: check API_TOKEN\n');
    }
    const conflict = await cli('saga', 'compensate', COMPLETED_SAGA.sagaId);
    expect(conflict.code).to.equal(1);
    expect(conflict.stderr).to.contain("cannot compensate a COMPLETED saga in state 'completed'");
    const missing = await cli('saga', 'retry', 'saga-none');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('saga not found');
  });

  it('exits 2 on bad usage and 1 when the orchestrator is unreachable', async () => {
    for (const argv of [
      ['saga', 'list', '--status', 'DONE'],
      ['saga', 'list', '--limit', '0'],
      ['saga', 'show'],
      ['saga', 'retry'],
    ]) {
      expect((await cli(...argv)).code, argv.join(' ')).to.equal(2);
    }
    expect(server.requests).to.deep.equal([]);
    const url = server.url;
    await server.close();
    const run = await runCli(['saga', 'list'], { ORCHESTRATOR_URL: url });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain('cannot reach the orchestrator');
    server = await startOrchestratorFixtureServer(TOKEN);
  });
});
