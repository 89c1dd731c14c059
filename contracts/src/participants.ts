import { COMMAND_TYPES, type CommandType } from './messages.js';

/** What the system knows of one participant beyond its commands, which `MESSAGES` names by prefix. */
export interface ParticipantSpec {
  /** Its HTTP port unless `PORT` says otherwise (DESIGN §6). */
  port: number;
  /** Saga events it consumes, on a queue of its own bound to the events exchange. */
  events?: { queue: string; routingKeys: readonly string[] };
}

/**
 * The participants: one entry each. The topology, the services, the local runner and the test
 * systems all derive from it; a participant's commands are the `MESSAGES` whose type starts with
 * its name, and it consumes them from `<name>.commands`.
 */
export const PARTICIPANTS = {
  inventory: {
    port: 8081,
    // A completed order's reservation becomes a sale.
    events: { queue: 'inventory.events', routingKeys: ['saga.order.completed'] },
  },
  payment: { port: 8082 },
  notification: { port: 8083 },
} as const satisfies Readonly<Record<string, ParticipantSpec>>;

export type ParticipantName = keyof typeof PARTICIPANTS;
export const PARTICIPANT_NAMES = Object.keys(PARTICIPANTS) as ParticipantName[];

export const isParticipantName = (name: unknown): name is ParticipantName =>
  typeof name === 'string' && Object.hasOwn(PARTICIPANTS, name);

/** The queue a participant takes its commands from. */
export const commandQueueOf = (participant: ParticipantName): `${ParticipantName}.commands` =>
  `${participant}.commands`;

/** The commands a participant handles. */
export const commandsOf = (participant: ParticipantName): CommandType[] =>
  COMMAND_TYPES.filter((type) => type.startsWith(`${participant}.`));
