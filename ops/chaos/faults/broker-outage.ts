import type { ActiveFault, Fault, FaultTarget } from '../fault.js';
import { machineOutage } from './machine-fault.js';

/**
 * The RabbitMQ app stopped (`rabbitmqctl stop_app`) for `holdMs` of the scale, then started again:
 * every connection drops, publishes fail, and the orchestrator's outbox must hold the commands.
 * Machine-wide: it runs under the machine-fault lock.
 */
export function brokerOutage(name: string, summary: string, holdMsOf: (target: FaultTarget) => number): Fault {
  return {
    name,
    summary,
    async inject(target): Promise<ActiveFault> {
      const holdMs = holdMsOf(target);
      const outage = machineOutage(name, 'rabbitmqctl stop_app', 'rabbitmqctl start_app', holdMs);
      await outage.locked;
      const struck = target.loadUnderWay
        .then(() => outage.strike())
        .then(() => target.say(`  broker stopped for ${holdMs} ms`));
      return {
        // Over once start_app returned: the services' reconnecting counts toward their time to terminal.
        heal: async () => {
          await struck;
          return outage.over;
        },
      };
    },
  };
}

export const brokerStop = brokerOutage(
  'broker-stop',
  'the broker app stopped (rabbitmqctl stop_app) for 20 s, then started',
  (target) => target.scale.brokerStopMs,
);

export const brokerGone = brokerOutage(
  'broker-gone',
  'the broker gone for 60 s under load: the outbox holds, orchestrator memory stays bounded, all drains after',
  (target) => target.scale.brokerGoneMs,
);
