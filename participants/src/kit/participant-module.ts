import type { EnvReader, StoreKind } from '@sagaflow/contracts';
import type { ParticipantConfig, ServiceHandle } from './participant-service.js';

/**
 * How a participant runs, next to its code: the stores it can keep its data in, the settings of
 * its own it reads beyond `ParticipantConfig`, and how it starts.
 */
export interface ParticipantModule<TConfig extends ParticipantConfig = ParticipantConfig> {
  stores: readonly StoreKind[];
  readConfig(read: EnvReader, base: ParticipantConfig): TConfig;
  start(config: TConfig): Promise<ServiceHandle>;
}

/** Ties a module's config type to its functions while the registry holds modules of every kind. */
export const participantModule = <TConfig extends ParticipantConfig>(
  module: ParticipantModule<TConfig>,
): ParticipantModule => module as unknown as ParticipantModule;
