/**
 * Saga definitions: XState machines that decide what a saga sends next. They do no I/O; the engine
 * feeds them `SagaEvent`s, drains the `command` events they emit into the outbox and persists their
 * snapshots. New sagas start on `latestVersion(type)`; a stored saga runs on its own version.
 */
export type * from './saga-protocol.js';
export {
  orderSagaV1,
  orderSagaV1Blueprint,
  OPERATOR_COMPENSATION_REASON,
  type OrderSagaContext,
} from './order-saga.js';
export {
  cancellationSagaV1,
  cancellationSagaV1Blueprint,
  CANCELLATION_REASON,
  type CancellationSagaContext,
} from './cancellation-saga.js';
export {
  blueprintOf,
  buildSaga,
  checkBlueprint,
  isFinalState,
  reviseSaga,
  transitionsOf,
  type BlueprintShape,
  type ContextPatch,
  type Exit,
  type FinalState,
  type SagaBlueprint,
  type SagaRevision,
  type SagaState,
  type StepState,
} from './saga-blueprint.js';
export {
  COMPENSATING_TAG,
  commandIdOf,
  stepOfCommandId,
  describeFailure,
  sagaStep,
  sagaStepActions,
  sagaStepGuards,
  stepCommand,
  type SagaTag,
  type StepCommand,
  type StepCommands,
  type StepExit,
  type StepSpec,
} from './saga-steps.js';
export {
  definitionFor,
  latestVersion,
  sagaDefinitions,
  sagaStatusOf,
  stateNameOf,
  type SagaDefinitions,
  type SagaSnapshotView,
  type VersionedDefinition,
} from './saga-definitions.js';
export { definitionGraph, definitionGraphs } from './definition-graph.js';
