/**
 * @sagaflow/orchestrator — drives one saga per order: XState definitions, the saga engine,
 * the stores, the outbox relay, the timeout sweeper and the HTTP API.
 *
 * `start(readConfig())` runs it; `main.ts` does exactly that and stops on SIGTERM/SIGINT.
 */
export { start, type Orchestrator } from './orchestrator.js';
export { readConfig, type OrchestratorConfig } from './config.js';
export type * from './store/saga-store.js';
export type * from './sagas/saga-protocol.js';
