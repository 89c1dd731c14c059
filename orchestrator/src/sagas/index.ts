/**
 * Saga definitions: XState machines that decide what a saga sends next. They do no I/O; the engine
 * feeds them `SagaEvent`s, drains the `command` events they emit into the outbox and persists their
 * snapshots. New sagas start on `latestVersion(type)`; a stored saga runs on its own version.
 */
export type * from './saga-protocol.js';
export { orderSagaV1, OPERATOR_COMPENSATION_REASON, type OrderSagaContext } from './order-saga.js';
export { cancellationSagaV1, CANCELLATION_REASON, type CancellationSagaContext } from './cancellation-saga.js';
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
