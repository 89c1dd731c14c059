import type { ParticipantName } from '@sagaflow/contracts';
import { call } from '../chaos-http.js';
import { pause, type Fault, type FaultTarget } from '../fault.js';
import type { Verdict } from '../invariants.js';

/** The participants crashed in turn. */
const VICTIMS: readonly ParticipantName[] = ['payment', 'inventory', 'notification'];

/** A participant that meets no command for this long is not crashed this time (the load may be over). */
const CRASH_WITHIN_MS = 15_000;

/** Starts of a crashed participant tried before the run gives up on it. */
const STARTS = 3;

/** Puts a participant's fault injection in `mode` (`crash` at rate 1, or `none`). */
async function setFaults(target: FaultTarget, participant: ParticipantName, mode: 'crash' | 'none'): Promise<void> {
  const answer = await call('PUT', `${target.system.url(participant)}/faults`, { mode, rate: 1 });
  if (answer.status !== 200)
    throw new Error(`PUT /faults on ${participant}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/**
 * One participant after another told to crash (`PUT /faults {"mode":"crash","rate":1}`) every
 * `crashEveryMs`: it kills itself with SIGKILL right after its next command's effect and inbox row
 * commit, before its reply and ack, and is started again (without faults: the setting lives in memory).
 * The broker redelivers the command and the inbox must answer it from the stored reply, once. The
 * turns go on after the heal until each participant had one however short the load; one that meets
 * no command in time is spared, and fails the fault's own check: a run that crashed nobody proves nothing.
 */
export const participantCrash: Fault = {
  name: 'participant-crash',
  summary: 'payment, inventory, notification in turn killed after an effect, before its ack, every 5 s',
  async inject(target) {
    const healing = new AbortController();
    let turns = 0;
    const spared: string[] = [];
    let failedStarts = 0;
    /**
     * Starts the participant again; a start can fail when the store is slow to take a new connection
     * (the process exits 1), and is then tried again, as a supervisor would.
     */
    const startAgain = async (participant: ParticipantName) => {
      for (let start = 1; ; start++) {
        try {
          return await target.system.restart(participant);
        } catch (error) {
          if (start === STARTS) throw error;
          failedStarts++;
          target.say(`  ${participant} failed to start again: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    };
    const crashNext = async () => {
      const participant = VICTIMS[turns++ % VICTIMS.length]!;
      await target.counters.carry(participant);
      const exited = target.planned.exitOf(participant, CRASH_WITHIN_MS);
      await setFaults(target, participant, 'crash');
      const crashed = await exited.then(
        () => true,
        () => false,
      );
      if (crashed) return startAgain(participant);
      spared.push(`${participant} met no command within ${CRASH_WITHIN_MS} ms and was not crashed`);
      await setFaults(target, participant, 'none');
    };
    const loop = (async () => {
      await target.loadUnderWay;
      while (!healing.signal.aborted || turns < VICTIMS.length) {
        await pause(target.scale.crashEveryMs, healing.signal);
        await crashNext();
      }
    })();
    return {
      async heal() {
        healing.abort();
        await loop;
        return { crashes: turns - spared.length, spared: spared.length, failedStarts };
      },
      verdicts: (): Verdict[] => [
        { invariant: 'every participant crashed in its turn', ok: spared.length === 0, violations: spared },
      ],
    };
  },
};
