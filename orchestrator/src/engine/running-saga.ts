import { createActor, type Actor, type AnyStateMachine } from 'xstate';
import type { SagaCommandEmitted, SagaEvent } from '../sagas/saga-protocol.js';

/** What one step of a machine produced: its persisted snapshot and the commands it emitted. */
export interface StepResult {
  snapshot: ReturnType<Actor<AnyStateMachine>['getPersistedSnapshot']>;
  emitted: SagaCommandEmitted[];
}

/**
 * A saga's machine, started once and kept running while the saga is in flight, so that its next
 * event costs one `send` instead of a restore from the persisted snapshot. It is only ever used for
 * the version of the saga it produced: the engine drops it when a commit of that version fails or
 * another process moved the saga on, and a fresh one restored from the store takes its place.
 */
export class RunningSaga {
  private readonly actor: Actor<AnyStateMachine>;
  private emitted: SagaCommandEmitted[] = [];
  private failure: unknown;

  /** Starts the machine on a new saga's `input`, or restores it from a persisted `snapshot`. */
  constructor(machine: AnyStateMachine, options: { snapshot?: unknown; input?: unknown }) {
    this.actor = createActor(machine, options as never);
    this.actor.on('command', (e) => this.emitted.push(e as unknown as SagaCommandEmitted));
    this.actor.subscribe({ error: (error) => (this.failure = error) });
    this.actor.start();
  }

  /**
   * Sends `event` (none: reports what starting produced). Null, with the machine untouched, when it
   * does not accept the event now; throws when the machine failed, after which it must not be used.
   */
  step(event?: SagaEvent): StepResult | null {
    if (event) {
      if (!this.actor.getSnapshot().can(event)) return null;
      this.emitted = [];
      this.actor.send(event);
    }
    const snapshot = this.actor.getPersistedSnapshot();
    const emitted = this.emitted;
    this.emitted = [];
    if (this.failure !== undefined || (snapshot as { status?: string }).status === 'error') {
      const failure = this.failure as Error | undefined;
      throw new Error(`saga machine failed: ${String(failure?.message ?? failure ?? 'error state')}`);
    }
    return { snapshot, emitted };
  }

  stop(): void {
    this.actor.stop();
  }
}
