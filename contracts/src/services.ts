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

/** How a service is started from the repository root once built: `node <script> ...args`. */
export const serviceCommandOf = (service: SystemService): { script: string; args: string[] } =>
  service === 'orchestrator'
    ? { script: 'orchestrator/dist/src/main.js', args: [] }
    : { script: 'participants/dist/src/main.js', args: [service] };
