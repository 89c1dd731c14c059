import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serviceCommandOf } from '@sagaflow/contracts';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** The orchestrator as a real process, as production runs it: `node dist/src/main.js`. */
export class OrchestratorProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async spawn(env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<OrchestratorProcess> {
    const child = spawn(process.execPath, [...serviceCommandOf('orchestrator').nodeArgs, MAIN], {
      env: { ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`orchestrator did not start:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match =
          /"message":"orchestrator listening"[^\n]*"port":(\d+)|"port":(\d+)[^\n]*"message":"orchestrator listening"/.exec(
            output,
          );
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1] ?? match[2]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`orchestrator exited with ${code}:\n${output}`));
      });
    });
    // Keep draining the pipes so that the child never blocks on a full one.
    child.stdout!.removeAllListeners('data').resume();
    child.stderr!.removeAllListeners('data').resume();
    return new OrchestratorProcess(child, `http://127.0.0.1:${port}`);
  }

  /** Ends the process the hard way: no drain, no cleanup, as a crash or an OOM kill would. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }
}
