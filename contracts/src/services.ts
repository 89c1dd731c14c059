import { PARTICIPANTS, PARTICIPANT_NAMES, isParticipantName, type ParticipantName } from './participants.js';

/** Every process of the system: the orchestrator and each participant. */
export type SystemService = 'orchestrator' | ParticipantName;
export const SYSTEM_SERVICES: readonly SystemService[] = ['orchestrator', ...PARTICIPANT_NAMES];

export const ORCHESTRATOR_PORT = 8080;

export const isSystemService = (name: unknown): name is SystemService =>
  name === 'orchestrator' || isParticipantName(name);

/** The HTTP port a service takes unless `PORT` says otherwise. */
export const defaultPortOf = (service: SystemService): number =>
  service === 'orchestrator' ? ORCHESTRATOR_PORT : PARTICIPANTS[service].port;

/**
 * V8 flags every service runs with. Semi-spaces of 32 MB (Node 20 grows them to 16 MB) let the
 * objects of a burst of messages die in the young generation instead of being promoted and marked
 * later. The image sets the same in `NODE_OPTIONS` (Dockerfile), for Compose and any cluster.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** How a service is started from the repository root once built: `node ...nodeArgs <script> ...args`. */
export const serviceCommandOf = (service: SystemService): { nodeArgs: string[]; script: string; args: string[] } =>
  service === 'orchestrator'
    ? { nodeArgs: [...SERVICE_NODE_FLAGS], script: 'orchestrator/dist/src/main.js', args: [] }
    : { nodeArgs: [...SERVICE_NODE_FLAGS], script: 'participants/dist/src/main.js', args: [service] };
