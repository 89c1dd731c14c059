import type { SystemService } from '@sagaflow/contracts';
import { eventually, startTestSystem } from '@sagaflow/contracts/testing';
import type { Answer } from './chaos-http.js';
import type { ChaosScale } from './chaos-scale.js';
import type { ActiveFault, Fault, FaultNotes, FaultTarget } from './fault.js';
import { checkInvariants, deadLettersOf, type Verdict } from './invariants.js';
import { MemorySampler } from './memory-sampler.js';
import { PlannedExitBook } from './planned-exits.js';
import { placeOrdersSteadily, RequestTally, seedCatalogue } from './order-load.js';
import { ServiceCounters } from './service-counters.js';
import { awaitTerminal } from './settle.js';

/**
 * Step deadlines short enough that a command lost in a fault is sent again within the run, with a
 * budget that outlasts the outages (a saga that runs out of it is STALLED and resumes when its
 * reply comes); `warn` keeps the services' logging off the two cores the load needs.
 */
export const CHAOS_ENV = { STEP_TIMEOUT_MS: '3000', STEP_MAX_ATTEMPTS: '3', LOG_LEVEL: 'warn' };

export interface FaultFigures {
  orders: number;
  accepted: number;
  rejected: number;
  /** Orders left unanswered during the fault and accepted when sent again after it. */
  acceptedOnResend: number;
  /** Final answers of the orders not accepted, by reason. */
  rejectedReasons: Record<string, number>;
  /** Requests sent again (no answer or a 5xx), by reason. */
  retried: Record<string, number>;
  cancellationsAccepted: number;
  terminal: number;
  confirmed: number;
  cancelled: number;
  /** From the end of the fault until each accepted order was finished. */
  maxMsToTerminal: number;
  medianMsToTerminal: number;
  /** Duplicate or redelivered messages absorbed, by service. */
  duplicates: Partial<Record<SystemService, number>>;
  peakRssMb: number;
  deadLetters: string[];
  /** What the fault itself did (kills, cuts, outage length). */
  fault: FaultNotes;
  seconds: number;
}

export interface FaultResult {
  fault: string;
  summary: string;
  figures: FaultFigures;
  verdicts: Verdict[];
  ok: boolean;
}

const countBy = (reasons: string[]) =>
  reasons.reduce<Record<string, number>>((tally, r) => ({ ...tally, [r]: (tally[r] ?? 0) + 1 }), {});

const medianOf = (xs: number[]) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);

/**
 * One fault on a fresh system (own vhost and schema, a seeded catalogue): the orders go in at a steady
 * rate, the fault (readied before) strikes a second in and is healed once every order has its answer, then the run
 * waits for every accepted order to finish and checks the invariants.
 */
export async function runFault(fault: Fault, scale: ChaosScale, say: (line: string) => void): Promise<FaultResult> {
  const began = performance.now();
  const exits: string[] = [];
  const planned = new PlannedExitBook();
  const test = await startTestSystem({
    prefix: `chaos-${fault.name}`,
    env: CHAOS_ENV,
    instances: fault.instances,
    startTimeoutMs: 60_000,
    onUnexpectedExit: (service, report) => {
      if (!planned.take(service)) exits.push(report.split('\n')[0]!);
    },
  });
  const { system, vhost } = test;
  const memory = new MemorySampler(() => system.pidsOf('orchestrator'));
  // A run that fails half-way still heals its fault before the system is removed.
  let unhealed: ActiveFault | undefined;
  try {
    const catalogue = await seedCatalogue(system.url('inventory'), scale.orders);
    const counters = new ServiceCounters(system);
    const tally = new RequestTally();
    let drainDeadline = Number.POSITIVE_INFINITY;
    let startLoad!: () => void;
    const loadStarted = new Promise<void>((resolve) => (startLoad = resolve));
    const loadUnderWay = loadStarted.then(() => new Promise<void>((resolve) => setTimeout(resolve, 1_000)));
    let placeOne = (): Promise<Answer | Error> => Promise.reject(new Error('the load has not begun'));
    const target: FaultTarget = {
      system,
      vhost,
      scale,
      counters,
      planned,
      placeOrder: () => placeOne(),
      loadUnderWay,
      say,
    };
    say(`  readying ${fault.name}`);
    const active = (unhealed = await fault.inject(target));
    const load = placeOrdersSteadily(
      {
        orchestratorUrls: () => system.urlsOf('orchestrator'),
        catalogue,
        orders: scale.orders,
        rate: scale.rate,
        cancelDeadline: () => drainDeadline,
      },
      tally,
    );
    placeOne = load.placeOne;
    startLoad();
    await load.sent;
    unhealed = undefined;
    const notes = await active.heal();
    const healedAt = performance.now();
    drainDeadline = healedAt + scale.drainTimeoutMs;
    say(`  healed (${JSON.stringify(notes)}); waiting for every order to finish`);

    const orchestratorUrl = system.url('orchestrator');
    const deadLettersAtHeal = await eventually(() => deadLettersOf(orchestratorUrl), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    const acceptedOnResend = await load.resendUnanswered();
    await load.cancellations();
    const accepted = load.placed.filter((p) => p.orderId !== undefined);
    const settling = await awaitTerminal(orchestratorUrl, accepted, healedAt, drainDeadline);
    const deadLettersNow = await deadLettersOf(orchestratorUrl);
    const duplicates = await counters.duplicates();
    const peakRssMb = memory.stop();
    const verdicts = await checkInvariants({
      urls: {
        orchestrator: orchestratorUrl,
        inventory: system.url('inventory'),
        payment: system.url('payment'),
        notification: system.url('notification'),
      },
      catalogue,
      placed: load.placed,
      settling,
      drainTimeoutMs: scale.drainTimeoutMs,
      deadLettersAtHeal,
      deadLettersNow,
      unexpectedExits: exits,
      peakRssMb,
      rssLimitMb: scale.rssLimitMb,
      ownOrderIds: new Set(active.ownOrderIds?.() ?? []),
      faultVerdicts: active.verdicts?.() ?? [],
    });
    const times = [...settling.msToTerminal.values()];
    const statuses = await Promise.all(
      accepted.map(async (p) => {
        const answer = await system.request('orchestrator', 'GET', `/orders/${p.orderId}`);
        return (answer.body as { status?: string } | undefined)?.status;
      }),
    );
    const ok = verdicts.every((v) => v.ok);
    if (!ok) say(`  invariants broken; the services' last output:\n${system.output(undefined, 20)}`);
    return {
      fault: fault.name,
      summary: fault.summary,
      ok,
      verdicts,
      figures: {
        orders: load.placed.length,
        accepted: accepted.length,
        rejected: load.placed.length - accepted.length,
        acceptedOnResend,
        rejectedReasons: countBy(load.placed.flatMap((p) => (p.rejected === undefined ? [] : [p.rejected]))),
        retried: Object.fromEntries(tally.retries),
        cancellationsAccepted: accepted.filter((p) => p.cancellationSagaId !== undefined).length,
        terminal: settling.msToTerminal.size,
        confirmed: statuses.filter((s) => s === 'CONFIRMED').length,
        cancelled: statuses.filter((s) => s === 'CANCELLED').length,
        maxMsToTerminal: times.length === 0 ? 0 : Math.max(...times),
        medianMsToTerminal: medianOf(times),
        duplicates,
        peakRssMb,
        deadLetters: [...deadLettersNow.values()],
        fault: notes,
        seconds: Math.round((performance.now() - began) / 1000),
      },
    };
  } catch (error) {
    say(`  the run failed; the services' last output:\n${system.output(undefined, 20)}`);
    throw error;
  } finally {
    await unhealed?.heal().catch((error: Error) => say(`  healing ${fault.name} failed: ${error.message}`));
    memory.stop();
    await test.cleanup();
  }
}
