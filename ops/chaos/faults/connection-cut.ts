import { closeVhostConnections } from '@sagaflow/contracts/testing';
import { repeatedly, type Fault } from '../fault.js';

/**
 * Every broker connection of the system's vhost closed through the management API every `cutEveryMs`,
 * as a network cut or a broker failover would: unacked deliveries go back to their queues and every
 * service must reconnect, re-declare and resume.
 */
export const connectionCut: Fault = {
  name: 'connection-cut',
  summary: 'every broker connection of the vhost closed every 5 s',
  async inject(target) {
    return repeatedly(target, 'cuts', target.scale.cutEveryMs, async () => {
      await closeVhostConnections(target.vhost.name, { atLeast: 1, timeoutMs: 10_000 });
    });
  },
};
