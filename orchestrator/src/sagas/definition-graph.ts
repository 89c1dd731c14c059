import type { AnyStateMachine } from 'xstate';
import type { SagaDefinitionGraph, SagaType } from '@sagaflow/contracts';
import { blueprintOf, isFinalState, transitionsOf } from './saga-blueprint.js';
import { sagaDefinitions, type SagaDefinitions } from './saga-definitions.js';

/** The event each kind of exit answers, and what the drawing says takes it. */
const EXIT_EVENTS = {
  success: { event: 'REPLY', when: 'success' },
  failure: { event: 'REPLY', when: 'failure' },
  reply: { event: 'REPLY', when: 'reply' },
  compensate: { event: 'COMPENSATE', when: 'operator' },
} as const;

/**
 * A saga version as the viewer draws it, read from the blueprint its machine was built from, so that
 * the drawing never disagrees with the definition that runs. The step protocol's transitions back
 * into the same state (resend on timeout, operator retry) are shared by every step and left out.
 */
export function definitionGraph(type: SagaType, version: number, machine: AnyStateMachine): SagaDefinitionGraph {
  const blueprint = blueprintOf(machine);
  const states = Object.entries(blueprint.states).map(([name, state]) => ({
    name,
    final: isFinalState(state),
    compensating: !isFinalState(state) && (state.compensating ?? false),
  }));
  const transitions = transitionsOf(blueprint).map(({ from, to, on }) => ({ from, to, ...EXIT_EVENTS[on] }));
  return { type, version, id: blueprint.id, initial: blueprint.initial, states, transitions };
}

/** Every registered version of every saga type, as graphs. */
export function definitionGraphs(definitions: SagaDefinitions = sagaDefinitions): SagaDefinitionGraph[] {
  return Object.entries(definitions).flatMap(([type, { versions }]) =>
    Object.entries(versions).map(([version, machine]) => definitionGraph(type as SagaType, Number(version), machine)),
  );
}
