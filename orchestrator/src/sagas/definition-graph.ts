import type { AnyStateMachine } from 'xstate';
import type { SagaDefinitionGraph, SagaType } from '@sagaflow/contracts';
import { sagaDefinitions, type SagaDefinitions } from './saga-definitions.js';
import { COMPENSATING_TAG } from './saga-steps.js';

/** Guards of the step protocol (saga-steps.ts) read as the reason a transition is taken. */
const WHEN: Record<string, string> = {
  isAwaitedSuccess: 'success',
  isAwaitedFailure: 'failure',
  isAwaitedReply: 'reply',
  isStalled: 'operator',
};

interface NodeView {
  key: string;
  type: string;
  tags: readonly string[];
  transitions: Map<string, { target?: readonly { key: string }[]; guard?: { type?: string } | string }[]>;
}

/**
 * Reads states and transitions from a machine, so that a drawing of a saga never disagrees with the
 * definition that runs it. Transitions back into the same state (resend on timeout, retry) are the
 * step protocol's, shared by every step, and left out.
 */
export function definitionGraph(type: SagaType, version: number, machine: AnyStateMachine): SagaDefinitionGraph {
  const nodes = Object.values(machine.root.states) as unknown as NodeView[];
  const states = nodes.map((node) => ({
    name: node.key,
    final: node.type === 'final',
    compensating: node.tags.includes(COMPENSATING_TAG),
  }));
  const transitions: SagaDefinitionGraph['transitions'] = [];
  for (const node of nodes) {
    for (const [event, candidates] of node.transitions) {
      for (const candidate of candidates) {
        for (const target of candidate.target ?? []) {
          if (target.key === node.key) continue;
          const guard = typeof candidate.guard === 'string' ? candidate.guard : candidate.guard?.type;
          transitions.push({ from: node.key, to: target.key, event, when: (guard && WHEN[guard]) ?? event });
        }
      }
    }
  }
  const initial = (machine.config.initial as string | undefined) ?? states[0]?.name ?? '';
  return { type, version, id: machine.id, initial, states, transitions };
}

/** Every registered version of every saga type, as graphs. */
export function definitionGraphs(definitions: SagaDefinitions = sagaDefinitions): SagaDefinitionGraph[] {
  return Object.entries(definitions).flatMap(([type, { versions }]) =>
    Object.entries(versions).map(([version, machine]) => definitionGraph(type as SagaType, Number(version), machine)),
  );
}
