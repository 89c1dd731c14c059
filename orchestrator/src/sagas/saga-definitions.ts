import type { AnyStateMachine, StateValue } from 'xstate';
import { SagaflowError, type SagaStatus, type SagaType } from '@sagaflow/contracts';
import { cancellationSagaV1 } from './cancellation-saga.js';
import { orderSagaV1 } from './order-saga.js';
import type { SagaContextBase, SagaOutput } from './saga-protocol.js';

/**
 * Every version of a saga type stays registered: a saga runs to its end on the version it started
 * on (its snapshot only makes sense to that machine), while new sagas start on `latest`.
 */
export interface VersionedDefinition<TMachine extends AnyStateMachine = AnyStateMachine> {
  latest: number;
  versions: Readonly<Record<number, TMachine>>;
}

export type SagaDefinitions = Readonly<Record<SagaType, VersionedDefinition>>;

export const sagaDefinitions = {
  order: { latest: 1, versions: { 1: orderSagaV1 } },
  cancellation: { latest: 1, versions: { 1: cancellationSagaV1 } },
} as const satisfies SagaDefinitions;

function versionedDefinition(type: SagaType, definitions: SagaDefinitions): VersionedDefinition {
  if (!Object.hasOwn(definitions, type)) {
    throw SagaflowError.nonRetryable('unknown_saga_type', `no saga definition of type '${String(type)}'`);
  }
  return definitions[type];
}

/** The machine a saga of this type and version runs on; throws when that version is not registered. */
export function definitionFor(
  type: SagaType,
  version: number,
  definitions: SagaDefinitions = sagaDefinitions,
): AnyStateMachine {
  const { versions } = versionedDefinition(type, definitions);
  if (!Object.hasOwn(versions, version)) {
    const known = Object.keys(versions).join(', ');
    throw SagaflowError.nonRetryable(
      'unknown_saga_version',
      `saga definition '${type}' has no version ${version} (registered: ${known})`,
    );
  }
  return versions[version];
}

/** The version new sagas of this type start on. */
export function latestVersion(type: SagaType, definitions: SagaDefinitions = sagaDefinitions): number {
  return versionedDefinition(type, definitions).latest;
}

/**
 * What `sagaStatusOf` and `stateNameOf` read: a live snapshot (`actor.getSnapshot()`) or a persisted
 * one (`actor.getPersistedSnapshot()`, also after a JSON round trip). A persisted snapshot carries no
 * tags, so the compensating phase is read from `context.awaiting.compensating`, which mirrors the tag.
 */
export interface SagaSnapshotView {
  status: string;
  value: StateValue;
  context: SagaContextBase;
  output?: unknown;
  error?: unknown;
}

/** The saga's status as the API shows it. */
export function sagaStatusOf(snapshot: unknown): SagaStatus {
  const view = snapshot as SagaSnapshotView;
  switch (view.status) {
    case 'done': {
      const output = view.output as SagaOutput | undefined;
      if (output?.status !== 'COMPLETED' && output?.status !== 'CANCELLED') {
        throw SagaflowError.nonRetryable(
          'invalid_saga_output',
          `saga ended without a status: ${JSON.stringify(output)}`,
        );
      }
      return output.status;
    }
    case 'active':
      if (view.context.stalled) return 'STALLED';
      return view.context.awaiting?.compensating ? 'COMPENSATING' : 'RUNNING';
    default:
      throw SagaflowError.nonRetryable(
        'saga_machine_failed',
        `saga machine is ${view.status}: ${view.error instanceof Error ? view.error.message : String(view.error)}`,
      );
  }
}

/** The state value as one string: `charging`, or `compensation.releasing` for a nested state. */
export function stateNameOf(snapshot: unknown): string {
  return pathsOf((snapshot as { value: StateValue }).value).join(',');
}

function pathsOf(value: StateValue): string[] {
  if (typeof value === 'string') return [value];
  return Object.entries(value).flatMap(([key, child]) =>
    child === undefined || (typeof child === 'object' && Object.keys(child).length === 0)
      ? [key]
      : pathsOf(child).map((path) => `${key}.${path}`),
  );
}
