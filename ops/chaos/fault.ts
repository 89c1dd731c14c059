import type { SystemService } from '@sagaflow/contracts';
import type { LocalSystem, TestVhost } from '@sagaflow/contracts/testing';
import type { Answer } from './chaos-http.js';
import type { ChaosScale } from './chaos-scale.js';
import type { Verdict } from './invariants.js';
import type { ServiceCounters } from './service-counters.js';

/** Exits a fault causes on purpose (a process that kills itself): the runner does not count them as crashes. */
export interface PlannedExits {
  /**
   * The next exit of `service` that the system did not ask for is planned; resolves once it happened,
   * rejects if it did not within `timeoutMs` (and then no longer expects it).
   */
  exitOf(service: SystemService, timeoutMs: number): Promise<void>;
}

/** What a fault acts on: one fresh system in its own vhost and schema. */
export interface FaultTarget {
  system: LocalSystem;
  vhost: TestVhost;
  scale: ChaosScale;
  /** Counters of processes that are about to die are read through this first, so that none is lost. */
  counters: ServiceCounters;
  planned: PlannedExits;
  /**
   * Places one more order of the load's mix, once and at once (no retries), and gives its answer; it
   * counts as one of the run's orders, and one left unanswered (no answer, or a 5xx) is sent again
   * after the heal like the others.
   */
  placeOrder(): Promise<Answer | Error>;
  /** Resolves a second into the load: the moment the fault strikes. */
  loadUnderWay: Promise<void>;
  /** Progress lines for the operator (stderr). */
  say(line: string): void;
}

/** What a fault did, for the figures: e.g. `{ kills: 3 }` or `{ outageMs: 20150 }`. */
export type FaultNotes = Record<string, number | string>;

/** A fault that is running while the orders go in. */
export interface ActiveFault {
  /**
   * Ends the fault and brings back whatever it took away (an outage of a set length runs its course
   * first); resolves once the system has all its services, broker and store again.
   */
  heal(): Promise<FaultNotes>;
  /** Checks of the fault's own, judged with the invariants (e.g. how fast the services answered meanwhile). */
  verdicts?(): Verdict[];
  /** Order ids the fault made up (in messages of its own); reconciliation anomalies about them are its doing. */
  ownOrderIds?(): string[];
}

/** One kind of trouble, injected during the load and healed after it. */
export interface Fault {
  /** The name `--only` takes, kebab-case. */
  readonly name: string;
  /** What it does, in a line (the README's table and `--help` show it). */
  readonly summary: string;
  /** Processes per service the system runs for this fault; one of each by default. */
  readonly instances?: Partial<Record<SystemService, number>>;
  /**
   * Readies the fault before the load begins (a machine-wide one takes its lock, which may first wait
   * for someone else's fault) and strikes once `target.loadUnderWay` resolves.
   */
  inject(target: FaultTarget): Promise<ActiveFault>;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Runs `act` every `everyMs` (counted from one act's start to the next, so that a slow restart does
 * not stretch the period, but never sooner than half a period after the last act ended, so that a
 * restarted process gets to work) until healed, and at least once; one act at a time, and `heal` waits
 * for the one under way.
 * Returns how many acts ran under `noteName`.
 */
export function repeatedly(
  target: FaultTarget,
  noteName: string,
  everyMs: number,
  act: () => Promise<void>,
): ActiveFault {
  const stop = new AbortController();
  let count = 0;
  let struck!: () => void;
  const firstAct = new Promise<void>((resolve) => (struck = resolve));
  const loop = (async () => {
    await target.loadUnderWay;
    for (let due = performance.now() + everyMs; ; due = Math.max(due + everyMs, performance.now() + everyMs / 2)) {
      await pause(Math.max(0, due - performance.now()), stop.signal);
      if (stop.signal.aborted) return;
      await act();
      count++;
      struck();
    }
  })();
  return {
    async heal() {
      // A load shorter than the period still meets the fault once.
      await Promise.race([firstAct, loop]);
      stop.abort();
      await loop;
      return { [noteName]: count };
    },
  };
}
