import { machineInfo } from '@sagaflow/contracts/testing';
import type { ChaosScale } from './chaos-scale.js';
import type { Verdict } from './invariants.js';
import type { FaultResult } from './run-fault.js';

/** One row of the table per fault: its figures and a mark per invariant. */
export function tableRows(results: FaultResult[]): Record<string, string | number>[] {
  return results.map(({ fault, figures: f, verdicts }) => ({
    fault,
    accepted: f.accepted,
    rejected: f.rejected,
    terminal: `${f.terminal}/${f.accepted}`,
    'confirmed/cancelled': `${f.confirmed}/${f.cancelled}`,
    'refunds asked': f.cancellationsAccepted,
    'max s to terminal': (f.maxMsToTerminal / 1000).toFixed(1),
    'median s to terminal': (f.medianMsToTerminal / 1000).toFixed(1),
    'duplicates absorbed': Object.values(f.duplicates).reduce((a, b) => a + (b ?? 0), 0),
    'peak RSS MB': f.peakRssMb,
    DLQ: f.deadLetters.length,
    invariants: verdicts.every((v) => v.ok)
      ? `all ${verdicts.filter((v) => !v.skipped).length} hold`
      : `${verdicts.filter((v) => !v.ok).length} broken`,
  }));
}

/** What broke, readable: each broken invariant of each fault with its first violations. */
export function failureReport(results: FaultResult[], shown = 10): string {
  return results.flatMap((result) => brokenVerdictLines(result.fault, result.verdicts, shown)).join('\n');
}

/** Each broken verdict under `label`, with its first `shown` violations. */
export function brokenVerdictLines(label: string, verdicts: Verdict[], shown = 10): string[] {
  const lines: string[] = [];
  for (const v of verdicts.filter((x) => !x.ok)) {
    lines.push(`${label}: ${v.invariant} — ${v.violations.length} violation(s)`);
    for (const violation of v.violations.slice(0, shown)) lines.push(`    ${violation}`);
    if (v.violations.length > shown) lines.push(`    … and ${v.violations.length - shown} more`);
  }
  return lines;
}

/** Figures of each fault that a table row cannot hold: reasons, duplicates by service, the fault's own notes. */
export function detailLines(results: FaultResult[]): string {
  return results
    .map(({ fault, figures: f, verdicts }) =>
      [
        `${fault}: ${JSON.stringify(f.fault)}, ${f.seconds} s`,
        `    rejected: ${JSON.stringify(f.rejectedReasons)}; retried: ${JSON.stringify(f.retried)}`,
        `    duplicates absorbed: ${JSON.stringify(f.duplicates)}`,
        ...f.deadLetters.slice(0, 5).map((d) => `    dead letter: ${d}`),
        ...verdicts.filter((v) => v.skipped).map((v) => `    ${v.invariant}: skipped (${v.skipped})`),
      ].join('\n'),
    )
    .join('\n');
}

/** `chaos-results/latest.json`: the machine, the scale and every fault's figures and verdicts. */
export function chaosReport(scale: ChaosScale, results: FaultResult[]) {
  return {
    machine: machineInfo(),
    at: new Date().toISOString(),
    scale,
    ok: results.every((r) => r.ok),
    results,
  };
}
