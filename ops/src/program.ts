import { Command, CommanderError } from 'commander';
import { ConfigError, EXIT_BAD_USAGE } from '@sagaflow/contracts';
import { addDlqCommands } from './commands/dlq.js';
import { addEventsCommands } from './commands/events.js';
import { addReconcileCommand } from './commands/reconcile.js';
import { addSagaCommands } from './commands/saga.js';
import { createContext, type OpsDeps } from './context.js';

export interface SagaflowOps {
  command: Command;
  /** Parses and runs one command line (without `node` and the script); resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

const SUCCESS_CODES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * `sagaflow-ops`: 0 done, 1 failed, 2 bad usage. Build one per command line: commander keeps the
 * parsed options on the program.
 */
export function buildProgram(deps: OpsDeps): SagaflowOps {
  const ctx = createContext(deps);
  const program = new Command('sagaflow-ops')
    .description(
      'Operate Sagaflow: dead-letter queues and the event log (AMQP_URL), sagas and reconciliation (ORCHESTRATOR_URL, API_TOKEN for actions).',
    )
    .configureOutput({
      writeOut: (text) => void deps.stdout.write(text),
      writeErr: (text) => void deps.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  addDlqCommands(program, ctx);
  addSagaCommands(program, ctx);
  addReconcileCommand(program, ctx);
  addEventsCommands(program, ctx);

  return {
    command: program,
    async run(argv) {
      try {
        await program.parseAsync([...argv], { from: 'user' });
        return ctx.exitCode;
      } catch (error) {
        if (error instanceof CommanderError) {
          // commander has already printed the usage problem.
          return SUCCESS_CODES.has(error.code) && error.exitCode === 0 ? 0 : 2;
        }
        if (error instanceof ConfigError) {
          deps.stderr.write(`error: ${error.message}\n`);
          return EXIT_BAD_USAGE;
        }
        deps.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        return 1;
      }
    },
  };
}
