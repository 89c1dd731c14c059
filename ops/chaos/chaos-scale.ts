/**
 * How big and how long a chaos run is. `FULL_SCALE` is what `make chaos` runs; `SHORT_SCALE` is the
 * run inside `make test`: every fault, fewer orders, shorter outages.
 */
export interface ChaosScale {
  /** Orders placed per fault. */
  orders: number;
  /** Orders per second, sent at a steady pace whatever the answers. */
  rate: number;
  /** The orchestrator is killed (SIGKILL) and started again this often. */
  killEveryMs: number;
  /** Every broker connection of the vhost is closed this often. */
  cutEveryMs: number;
  /** A participant is made to crash after an effect (payment, inventory, notification in turn) this often. */
  crashEveryMs: number;
  /** How long PostgreSQL stays stopped (SIGSTOP) in `postgres-pause`. */
  postgresPauseMs: number;
  /** How long the broker app stays stopped in `broker-stop`. */
  brokerStopMs: number;
  /** How long the broker stays away in `broker-gone`. */
  brokerGoneMs: number;
  /** Every accepted order must be terminal this long after the fault ended. */
  drainTimeoutMs: number;
  /** No orchestrator process may hold more resident memory than this, fault or not. */
  rssLimitMb: number;
}

export const FULL_SCALE: ChaosScale = {
  orders: 1_000,
  rate: 40,
  killEveryMs: 10_000,
  cutEveryMs: 5_000,
  crashEveryMs: 5_000,
  postgresPauseMs: 30_000,
  brokerStopMs: 20_000,
  brokerGoneMs: 60_000,
  drainTimeoutMs: 60_000,
  rssLimitMb: 512,
};

export const SHORT_SCALE: ChaosScale = {
  orders: 60,
  rate: 30,
  killEveryMs: 1_200,
  cutEveryMs: 600,
  crashEveryMs: 600,
  postgresPauseMs: 5_000,
  brokerStopMs: 4_000,
  brokerGoneMs: 6_000,
  drainTimeoutMs: 60_000,
  rssLimitMb: 512,
};
