import { randomUUID } from 'node:crypto';
import { pausePostgres, type PostgresPause } from '@sagaflow/contracts/testing';
import { call, reasonOf, type Answer } from '../chaos-http.js';
import type { ActiveFault, Fault, FaultTarget } from '../fault.js';
import type { Verdict } from '../invariants.js';

/** Every probe must be answered within this, store or no store. */
const ANSWER_WITHIN_MS = 5_000;
const PROBE_EVERY_MS = 500;

/** What the probes saw while PostgreSQL was stopped. */
interface ProbeLog {
  slowestMs: number;
  /** Answers by route and reason, e.g. `POST 503 store_unavailable`. */
  answers: Map<string, number>;
  /** Probes slower than `ANSWER_WITHIN_MS`, or answered other than 503 once the store was seen away. */
  violations: string[];
}

/** Whether the store was seen away by a probe, and whether it is running again. */
interface StoreState {
  seenAway: boolean;
  back: boolean;
}

/**
 * Times one probe and records its answer; once a probe has seen the store away, only a 503 is right
 * until the store runs again.
 */
async function probe(
  log: ProbeLog,
  route: string,
  send: () => Promise<Answer | Error>,
  store: StoreState,
): Promise<void> {
  const began = performance.now();
  const outcome = await send();
  const ms = Math.round(performance.now() - began);
  const reason = reasonOf(outcome);
  log.slowestMs = Math.max(log.slowestMs, ms);
  log.answers.set(`${route} ${reason}`, (log.answers.get(`${route} ${reason}`) ?? 0) + 1);
  if (ms > ANSWER_WITHIN_MS) log.violations.push(`${route} took ${ms} ms (${reason})`);
  const status = outcome instanceof Error ? undefined : outcome.status;
  if (status === 503) store.seenAway = true;
  else if (store.seenAway && !store.back) log.violations.push(`${route} answered ${reason} while the store was away`);
}

/** Probes `POST /orders` and `GET /orders/:id` every `PROBE_EVERY_MS` until `over` settles. */
async function probeUntil(target: FaultTarget, over: Promise<void>, log: ProbeLog): Promise<void> {
  const store: StoreState = { seenAway: false, back: false };
  void over.then(() => (store.back = true));
  const unknownOrder = `ord_${randomUUID()}`;
  const getOrder = () =>
    call('GET', `${target.system.url('orchestrator')}/orders/${unknownOrder}`).catch((error: Error) => error);
  const probes: Promise<void>[] = [];
  while (!store.back) {
    probes.push(probe(log, 'POST /orders', target.placeOrder, store));
    probes.push(probe(log, 'GET /orders/:id', getOrder, store));
    await Promise.race([over, new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS))]);
  }
  await Promise.all(probes);
}

/**
 * Every PostgreSQL process of the machine stopped (SIGSTOP) for `postgresPauseMs`, as a frozen VM or a
 * stuck disk would: connections stay open and nothing answers. Meanwhile `POST /orders` and `GET
 * /orders/:id` are probed every half second: each must be answered within 5 s, with 503 once the store
 * is seen away. Machine-wide: `pausePostgres` takes the machine-fault lock.
 */
export const postgresPause: Fault = {
  name: 'postgres-pause',
  summary: 'PostgreSQL stopped (SIGSTOP) for 30 s; the APIs must answer 503 within 5 s',
  async inject(target): Promise<ActiveFault> {
    const log: ProbeLog = { slowestMs: 0, answers: new Map(), violations: [] };
    let pause: PostgresPause | undefined;
    const over = target.loadUnderWay.then(async () => {
      pause = await pausePostgres(target.scale.postgresPauseMs);
      target.say(`  PostgreSQL stopped for ${target.scale.postgresPauseMs} ms`);
      const began = performance.now();
      const probing = probeUntil(target, pause.resumed, log);
      await pause.resumed;
      await probing;
      return Math.round(performance.now() - began);
    });
    return {
      async heal() {
        const pausedMs = await over.finally(() => pause?.resume());
        return { pausedMs, slowestProbeMs: log.slowestMs, probes: JSON.stringify(Object.fromEntries(log.answers)) };
      },
      verdicts: (): Verdict[] => [
        {
          invariant: 'every probe answered within 5 s, 503 while the store was away',
          ok: log.violations.length === 0,
          violations: log.violations,
        },
      ],
    };
  },
};
