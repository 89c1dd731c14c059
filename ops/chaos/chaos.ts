/**
 * The chaos suite (`make chaos`): for each fault, a fresh system takes a steady stream of orders (a mix
 * of ones that go through, declined cards and cancellations after confirmation) while the fault hits
 * it; once the fault is healed, every accepted order must finish and the invariants must hold,
 * checked only through the public HTTP APIs. Prints a table of faults × figures and verdicts, writes
 * `chaos-results/latest.json`, and exits 1 if any invariant broke (2 on bad usage).
 *
 *   node ops/dist/chaos/chaos.js [--orders 1000] [--rate 40] [--only orchestrator-kill,broker-gone] [--short]
 *       [--out chaos-results/latest.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseBenchArgs } from '@sagaflow/contracts/testing';
import { FULL_SCALE, SHORT_SCALE, type ChaosScale } from './chaos-scale.js';
import { chaosReport, detailLines, failureReport, tableRows } from './chaos-report.js';
import { FAULTS, faultsNamed } from './fault-list.js';
import { runFault, type FaultResult } from './run-fault.js';

const USAGE = `node ops/dist/chaos/chaos.js [--orders N] [--rate N] [--only FAULT[,FAULT]] [--short] [--out FILE]
  --orders  orders per fault (default ${FULL_SCALE.orders}; ${SHORT_SCALE.orders} with --short)
  --rate    orders per second (default ${FULL_SCALE.rate}; ${SHORT_SCALE.rate} with --short)
  --only    the faults to run, of: ${FAULTS.map((f) => f.name).join(', ')}
  --short   the reduced scale of make test (fewer orders, shorter outages)
  --out     where the JSON goes (default chaos-results/latest.json)
faults:
${FAULTS.map((f) => `  ${f.name.padEnd(22)} ${f.summary}`).join('\n')}`;

const values = parseBenchArgs(USAGE, {
  orders: { type: 'string', default: '' },
  rate: { type: 'string', default: '' },
  only: { type: 'string', default: '' },
  short: { type: 'boolean', default: false },
  out: { type: 'string', default: 'chaos-results/latest.json' },
});

function badUsage(message: string): never {
  process.stderr.write(`${message}\nusage: ${USAGE}\n`);
  process.exit(2);
}

/** A positive whole number given as `--name`, or the scale's own. */
function countOption(name: string, given: string, fallback: number): number {
  if (given === '') return fallback;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 1) badUsage(`--${name} takes a whole number ≥ 1 (got '${given}')`);
  return n;
}

const base = values.short ? SHORT_SCALE : FULL_SCALE;
const scale: ChaosScale = {
  ...base,
  orders: countOption('orders', values.orders, base.orders),
  rate: countOption('rate', values.rate, base.rate),
};
let faults;
try {
  faults = faultsNamed(values.only);
} catch (error) {
  badUsage((error as Error).message);
}

const say = (line: string) => process.stderr.write(`${line}\n`);
const results: FaultResult[] = [];
for (const fault of faults) {
  say(`${fault.name}: ${fault.summary} — ${scale.orders} orders at ${scale.rate}/s`);
  results.push(await runFault(fault, scale, say));
}
console.table(tableRows(results));
say(detailLines(results));
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(chaosReport(scale, results), null, 2)}\n`);
say(`written to ${values.out}`);
const failures = failureReport(results);
if (failures !== '') {
  say(`\ninvariants broken:\n${failures}`);
  process.exit(1);
}
process.exit(0);
