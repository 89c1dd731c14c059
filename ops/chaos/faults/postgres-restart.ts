import type { ActiveFault, Fault } from '../fault.js';
import { machineOutage } from './machine-fault.js';

/** The cluster `pg_ctlcluster` restarts: `CHAOS_PG_CLUSTER` ("<version> <name>"), else 15 main. */
const cluster = () => process.env.CHAOS_PG_CLUSTER ?? '15 main';

/**
 * PostgreSQL restarted (`pg_ctlcluster … restart`: a fast shutdown, every connection of every pool
 * dropped, then started again) once the load is under way. Machine-wide: under the machine-fault lock.
 */
export const postgresRestart: Fault = {
  name: 'postgres-restart',
  summary: 'PostgreSQL restarted (pg_ctlcluster restart) under load',
  async inject(target): Promise<ActiveFault> {
    const outage = machineOutage(
      'postgres-restart',
      `pg_ctlcluster --skip-systemctl-redirect ${cluster()} stop -m fast`,
      `pg_ctlcluster --skip-systemctl-redirect ${cluster()} start`,
      0,
    );
    await outage.locked;
    const over = target.loadUnderWay
      .then(() => outage.strike())
      .then(() => target.say('  PostgreSQL restarting'))
      .then(() => outage.over);
    return { heal: () => over };
  },
};
