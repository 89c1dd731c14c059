import { buildProgram } from '../../src/index.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sagaflow-ops` in-process with captured output and only the environment it is given. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  options: { stderrIsTTY?: boolean } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await buildProgram({
    env,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: options.stderrIsTTY ?? false },
  }).run(argv);
  return { code, stdout, stderr };
}
