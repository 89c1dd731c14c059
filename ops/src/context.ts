import { InvalidArgumentError, type Command } from 'commander';
import { EnvReader, sagaflowTopology, type Topology } from '@sagaflow/contracts';

/** Where the CLI writes: process.stdout and process.stderr, or buffers in tests. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Everything the CLI takes from its surroundings, so that tests can run it in-process. */
export interface OpsDeps {
  env: Record<string, string | undefined>;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Names the dead-letter queues; Sagaflow's own by default. */
  topology?: Topology;
  fetch?: typeof fetch;
  /**
   * Calls `onInterrupt` on Ctrl-C or SIGTERM until the returned function is called: what a command that
   * follows (`events tail`) stops on. Without it nothing interrupts; other commands keep the default.
   */
  interrupts?: (onInterrupt: () => void) => () => void;
}

export interface OpsConfig {
  amqpUrl: string;
  /** `RABBITMQ_MANAGEMENT_URL`: lists the per-currency payment queues' dead letters; port 15672 of the AMQP host when unset. */
  managementUrl: string | undefined;
  orchestratorUrl: string;
  apiToken: string | undefined;
  topology: Topology;
}

/** Reads DESIGN §8's variables the CLI uses; throws one `ConfigError` naming every bad one. */
export function readConfig(deps: OpsDeps): OpsConfig {
  const read = new EnvReader(deps.env);
  const config: OpsConfig = {
    amqpUrl: read.amqpUrl(),
    managementUrl: read.url('RABBITMQ_MANAGEMENT_URL', undefined, ['http', 'https']),
    orchestratorUrl: read.url('ORCHESTRATOR_URL', 'http://127.0.0.1:8080', ['http', 'https']),
    apiToken: read.optional('API_TOKEN'),
    topology: deps.topology ?? sagaflowTopology(),
  };
  read.done();
  return config;
}

/** What a command needs to do its work and report it. */
export interface OpsContext {
  deps: OpsDeps;
  config: OpsConfig;
  print(text: string): void;
  printJson(value: unknown): void;
  /** Set by a command that reported its own failure (for example a replay that left messages behind). */
  exitCode: number;
}

export const createContext = (deps: OpsDeps): OpsContext => {
  let config: OpsConfig | undefined;
  return {
    deps,
    // Read when a command first needs it, so that `--help` works whatever the environment says.
    get config() {
      return (config ??= readConfig(deps));
    },
    print: (text) => void deps.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    printJson: (value) => void deps.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    exitCode: 0,
  };
};

/** The command ran and failed (exit code 1); its message is what the operator reads. */
export class OpsFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpsFailure';
  }
}

export const USAGE_ERROR = 'sagaflow.usage';

/** Stops with a usage error (exit code 2), the way commander reports its own. */
export const usageError = (command: Command, message: string): never =>
  command.error(`error: ${message}`, { exitCode: 2, code: USAGE_ERROR });

/** Parses a positive integer option; commander turns the throw into a usage error. */
export function positiveInteger(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max) {
      throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    }
    return n;
  };
}
