import { buildProgram } from '../../src/index.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `sagaflow-ops` in-process with captured output and only the environment it is given.
 * `interruptAfterMs` is a deadline for a command that follows (`events tail`): it is interrupted
 * then, as Ctrl-C would, so that a test waiting for more than comes ends with what came.
 */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  options: { stderrIsTTY?: boolean; interruptAfterMs?: number } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const { interruptAfterMs } = options;
  const code = await buildProgram({
    env,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: options.stderrIsTTY ?? false },
    ...(interruptAfterMs !== undefined && {
      interrupts: (onInterrupt: () => void) => {
        const timer = setTimeout(onInterrupt, interruptAfterMs);
        return () => clearTimeout(timer);
      },
    }),
  }).run(argv);
  return { code, stdout, stderr };
}
