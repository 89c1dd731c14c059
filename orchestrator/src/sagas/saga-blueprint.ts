import { assign, setup, type AnyStateMachine } from 'xstate';
import { SagaflowError, type SagaStatus } from '@sagaflow/contracts';
import type { SagaCommandEmitted, SagaContextBase, SagaEvent, SagaOutput } from './saga-protocol.js';
import { sagaStep, sagaStepActions, sagaStepGuards, type SagaTag, type StepCommand } from './saga-steps.js';

/** A pure change to the context in answer to an event: what the saga records (a price, a reason). */
export type ContextPatch<TContext> = (context: TContext, event: SagaEvent) => Partial<TContext>;

/** Where a step's outcome leads, and the patches applied on the way. */
export interface Exit {
  target: string;
  patches?: readonly string[];
}

/** A step: its state sends the step's command on entry and waits for the reply. */
export interface StepState {
  /** Where a success reply leads; without `onFailure`, any reply leads here. */
  onSuccess: Exit;
  onFailure?: Exit;
  /** Only before the pivot: where an operator's COMPENSATE of a stalled step leads. */
  onCompensate?: Exit;
  /** A step that undoes work: the saga is `COMPENSATING` while in it. */
  compensating?: boolean;
}

/** The end of a saga, with the status it ends in. */
export interface FinalState {
  final: Extract<SagaStatus, 'COMPLETED' | 'CANCELLED'>;
  patches?: readonly string[];
}

export type SagaState = StepState | FinalState;

export const isFinalState = (state: SagaState): state is FinalState => 'final' in state;

/**
 * One version of a saga as data: its states (each step named by its state), the command each step
 * sends, and the patches its transitions apply. `buildSaga` turns it into the XState machine;
 * `reviseSaga` states a next version by how it differs.
 */
export interface SagaBlueprint<TContext extends SagaContextBase = SagaContextBase, TInput = unknown> {
  /** The machine's id, unique per version (`order-saga-v1`). */
  id: string;
  initial: string;
  context: (input: TInput) => TContext;
  commands: Readonly<Record<string, (context: TContext) => StepCommand>>;
  patches: Readonly<Record<string, ContextPatch<TContext>>>;
  states: Readonly<Record<string, SagaState>>;
}

/** What the checks and drawings read of a blueprint, whatever its context type. */
export type BlueprintShape = Pick<SagaBlueprint, 'id' | 'initial' | 'states'> & { commands: object; patches: object };

/** How a version differs from the one before: states added or replaced (null removes one), and so on. */
export interface SagaRevision<TContext extends SagaContextBase, TInput> {
  id: string;
  initial?: string;
  context?: (input: TInput) => TContext;
  commands?: Readonly<Record<string, (context: TContext) => StepCommand>>;
  patches?: Readonly<Record<string, ContextPatch<TContext>>>;
  states?: Readonly<Record<string, SagaState | null>>;
}

/** The next version of a saga: the base with the revision's changes, checked like any blueprint. */
export function reviseSaga<TContext extends SagaContextBase, TInput>(
  base: SagaBlueprint<TContext, TInput>,
  revision: SagaRevision<TContext, TInput>,
): SagaBlueprint<TContext, TInput> {
  const states: Record<string, SagaState> = { ...base.states };
  for (const [name, state] of Object.entries(revision.states ?? {})) {
    if (state === null) delete states[name];
    else states[name] = state;
  }
  const commands = Object.fromEntries(
    Object.entries({ ...base.commands, ...revision.commands }).filter(([step]) => Object.hasOwn(states, step)),
  );
  const blueprint: SagaBlueprint<TContext, TInput> = {
    id: revision.id,
    initial: revision.initial ?? base.initial,
    context: revision.context ?? base.context,
    commands,
    patches: { ...base.patches, ...revision.patches },
    states,
  };
  checkBlueprint(blueprint);
  return blueprint;
}

/** Every transition of a blueprint: from, to, and what takes it. For checks and for drawing. */
export function transitionsOf(blueprint: BlueprintShape): {
  from: string;
  to: string;
  on: 'success' | 'failure' | 'reply' | 'compensate';
  patches: readonly string[];
}[] {
  return Object.entries(blueprint.states).flatMap(([from, state]) => {
    if (isFinalState(state)) return [];
    const exits: [Exit | undefined, 'success' | 'failure' | 'reply' | 'compensate'][] = [
      [state.onSuccess, state.onFailure ? 'success' : 'reply'],
      [state.onFailure, 'failure'],
      [state.onCompensate, 'compensate'],
    ];
    return exits.flatMap(([exit, on]) => (exit ? [{ from, to: exit.target, on, patches: exit.patches ?? [] }] : []));
  });
}

/** Refuses a blueprint that names a state, command or patch it does not have. */
export function checkBlueprint(blueprint: BlueprintShape): void {
  const problems: string[] = [];
  const has = (record: object, key: string) => Object.hasOwn(record, key);
  if (!has(blueprint.states, blueprint.initial)) problems.push(`initial state '${blueprint.initial}' is not defined`);
  for (const [name, state] of Object.entries(blueprint.states)) {
    if (!isFinalState(state) && !has(blueprint.commands, name)) problems.push(`step '${name}' has no command`);
    for (const patch of isFinalState(state) ? (state.patches ?? []) : []) {
      if (!has(blueprint.patches, patch)) problems.push(`state '${name}' applies unknown patch '${patch}'`);
    }
  }
  for (const t of transitionsOf(blueprint)) {
    if (!has(blueprint.states, t.to)) problems.push(`'${t.from}' leads to unknown state '${t.to}'`);
    for (const patch of t.patches) {
      if (!has(blueprint.patches, patch)) problems.push(`'${t.from}' → '${t.to}' applies unknown patch '${patch}'`);
    }
  }
  if (problems.length) {
    throw SagaflowError.nonRetryable('invalid_saga_blueprint', `saga '${blueprint.id}': ${problems.join('; ')}`);
  }
}

/** The blueprint each machine `buildSaga` made was built from, for reading it back as data. */
const blueprints = new WeakMap<AnyStateMachine, BlueprintShape>();

/** The blueprint a machine was built from; throws for a machine `buildSaga` did not make. */
export function blueprintOf(machine: AnyStateMachine): BlueprintShape {
  const blueprint = blueprints.get(machine);
  if (!blueprint) {
    throw SagaflowError.nonRetryable(
      'not_a_blueprint_machine',
      `machine '${machine.id}' was not built from a blueprint`,
    );
  }
  return blueprint;
}

const stepExit = (exit: Exit) => ({ target: exit.target, actions: exit.patches ?? [] });

/** The XState machine of a blueprint; the engine runs it, the blueprint stays the readable source. */
export function buildSaga<TContext extends SagaContextBase, TInput>(
  blueprint: SagaBlueprint<TContext, TInput>,
): AnyStateMachine {
  checkBlueprint(blueprint);
  const patchActions = Object.fromEntries(
    Object.entries(blueprint.patches).map(([name, patch]) => [
      name,
      assign(({ context, event }: { context: TContext; event: SagaEvent }) => patch(context, event)),
    ]),
  );
  const states = Object.fromEntries(
    Object.entries(blueprint.states).map(([name, state]) => [
      name,
      isFinalState(state)
        ? { type: 'final', entry: ['finish', ...(state.patches ?? [])], output: { status: state.final } }
        : sagaStep({
            step: name,
            onSuccess: stepExit(state.onSuccess),
            ...(state.onFailure && { onFailure: stepExit(state.onFailure) }),
            ...(state.onCompensate && { onCompensate: stepExit(state.onCompensate) }),
            compensating: state.compensating ?? false,
          }),
    ]),
  );
  const machine = setup({
    types: {
      context: {} as TContext,
      events: {} as SagaEvent,
      input: {} as TInput,
      output: {} as SagaOutput,
      emitted: {} as SagaCommandEmitted,
      tags: {} as SagaTag,
    },
    // Patches are named by the blueprint; XState cannot know those names at compile time.
    actions: { ...sagaStepActions<TContext, string>(blueprint.commands), ...patchActions } as never,
    guards: sagaStepGuards,
  }).createMachine({
    id: blueprint.id,
    initial: blueprint.initial,
    context: ({ input }) => blueprint.context(input),
    // The machine's output is the output of the final state it ended in.
    output: ({ event }) => event.output as SagaOutput,
    states: states as never,
  });
  const built = machine as unknown as AnyStateMachine;
  blueprints.set(built, blueprint);
  return built;
}
