import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per service, so that services sharing a process keep their numbers apart. */
export class ParticipantMetrics {
  readonly registry = new Registry();
  readonly commands: Counter<'type' | 'outcome'>;
  readonly duplicates: Counter<'type'>;
  readonly faults: Counter<'mode'>;
  readonly duration: Histogram<'type'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'sagaflow_' });
    this.commands = new Counter({
      name: 'sagaflow_participant_commands_total',
      help: 'Commands answered, by command type and reply outcome (success or failure)',
      labelNames: ['type', 'outcome'],
      registers: [this.registry],
    });
    this.duplicates = new Counter({
      name: 'sagaflow_participant_duplicate_commands_total',
      help: 'Commands answered from the inbox without running their effect again',
      labelNames: ['type'],
      registers: [this.registry],
    });
    this.faults = new Counter({
      name: 'sagaflow_participant_injected_faults_total',
      help: 'Faults injected through PUT /faults',
      labelNames: ['mode'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'sagaflow_participant_command_duration_seconds',
      help: 'Time from receiving a command to its confirmed reply',
      labelNames: ['type'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }
}
