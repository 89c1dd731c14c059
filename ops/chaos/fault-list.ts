import type { Fault } from './fault.js';
import { brokerGone, brokerStop } from './faults/broker-outage.js';
import { connectionCut } from './faults/connection-cut.js';
import { orchestratorKill } from './faults/orchestrator-kill.js';
import { participantCrash } from './faults/participant-crash.js';
import { poisonMessages } from './faults/poison-messages.js';
import { postgresPause } from './faults/postgres-pause.js';
import { postgresRestart } from './faults/postgres-restart.js';
import { racingOrchestrators } from './faults/racing-orchestrators.js';
import { tripleDelivery } from './faults/triple-delivery.js';

/**
 * Every fault the suite runs, in the order it runs them. A fault is a module with `inject` (and the
 * `heal` it returns); add it here and `--only`, the table and the short run in `make test` take it.
 */
export const FAULTS: readonly Fault[] = [
  orchestratorKill,
  connectionCut,
  brokerStop,
  postgresRestart,
  racingOrchestrators,
  brokerGone,
  participantCrash,
  postgresPause,
  tripleDelivery,
  poisonMessages,
];

/** The faults `--only` names (comma list), in the suite's order; throws naming an unknown one. */
export function faultsNamed(names: string | undefined): Fault[] {
  if (names === undefined || names === '') return [...FAULTS];
  const wanted = names.split(',').map((n) => n.trim());
  const unknown = wanted.filter((n) => !FAULTS.some((f) => f.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown fault ${unknown.join(', ')}: pick from ${FAULTS.map((f) => f.name).join(', ')}`);
  }
  return FAULTS.filter((f) => wanted.includes(f.name));
}
