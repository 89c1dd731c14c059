/**
 * @sagaflow/ops — `sagaflow-ops`, the operator's CLI: list, show, replay and purge dead letters
 * (through `DeadLetterQueues` of @sagaflow/contracts), and look at and act on sagas through the
 * orchestrator's HTTP API. `buildProgram(deps)` runs it in-process with any output streams.
 */
export { buildProgram, type SagaflowOps } from './program.js';
export { readConfig, type OpsConfig, type OpsDeps, type OutputStream } from './context.js';
export {
  OrchestratorClient,
  OrchestratorError,
  type OrchestratorClientOptions,
  type SagaPage,
} from './orchestrator-client.js';
export { formatTable, formatFields, type Column } from './format/table.js';
