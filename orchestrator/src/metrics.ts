import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SAGA_STATUSES, TERMINAL_SAGA_STATUSES } from '@sagaflow/contracts';
import type { SagaObserver } from './engine/saga-observer.js';
import type { SagaCommit, SagaRecord, SagaStore } from './store/saga-store.js';

/** The orchestrator's Prometheus metrics. */
export class SagaMetrics implements SagaObserver {
  readonly registry = new Registry();
  private readonly started: Counter<'type'>;
  private readonly finished: Counter<'type' | 'outcome'>;
  private readonly stepDuration: Histogram<'type' | 'step'>;
  /** Replies that changed nothing: a redelivery, a duplicate from a resent command, or one that came too late. */
  readonly ignoredReplies: Counter<'type'>;

  constructor(store: SagaStore) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sagaflow_orchestrator_' });
    const registers = [this.registry];
    this.started = new Counter({
      name: 'sagaflow_sagas_started_total',
      help: 'Sagas started, by saga type',
      labelNames: ['type'],
      registers,
    });
    this.finished = new Counter({
      name: 'sagaflow_sagas_finished_total',
      help: 'Sagas that reached a final status, by type and outcome (completed, cancelled)',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.ignoredReplies = new Counter({
      name: 'sagaflow_replies_ignored_total',
      help: 'Replies absorbed without a change: duplicates, redeliveries and late replies, by reply type',
      labelNames: ['type'],
      registers,
    });
    this.stepDuration = new Histogram({
      name: 'sagaflow_step_duration_seconds',
      help: 'Time from sending a step command to accepting its reply',
      labelNames: ['type', 'step'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: 'sagaflow_sagas_in_flight',
      help: 'Sagas not yet finished, by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await store.countSagasByStatus();
        for (const status of SAGA_STATUSES) {
          if (!TERMINAL_SAGA_STATUSES.includes(status)) this.set({ status }, counts[status] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'sagaflow_outbox_pending',
      help: 'Outbox messages written but not yet confirmed by the broker',
      registers,
      async collect() {
        this.set(await store.countUnsent());
      },
    });
  }

  observeCommit({ saga, newEntries }: SagaCommit, previous: SagaRecord | null): void {
    if (!previous) this.started.inc({ type: saga.type });
    if (TERMINAL_SAGA_STATUSES.includes(saga.status) && previous?.status !== saga.status) {
      this.finished.inc({ type: saga.type, outcome: saga.status.toLowerCase() });
    }
    for (const entry of newEntries) {
      if (entry.kind !== 'reply.received' || !previous) continue;
      const sent = previous.timeline.find(
        (e) => e.kind === 'command.sent' && e.detail.commandId === entry.detail.commandId,
      );
      if (sent) {
        const seconds = (Date.parse(entry.at) - Date.parse(sent.at)) / 1000;
        this.stepDuration.observe({ type: saga.type, step: entry.step ?? 'unknown' }, seconds);
      }
    }
  }
}
