import { spawn } from 'node:child_process';
import { machineFaultLock } from '@sagaflow/contracts/testing';

export interface MachineOutage {
  /** Resolves once the lock is held (it may first have to wait for someone else's fault). */
  locked: Promise<void>;
  /** Takes the service down now; resolves once it is down. */
  strike(): Promise<void>;
  /** Resolves when the service is back and the lock is released, with the time it was down. */
  over: Promise<{ outageMs: number }>;
}

/**
 * Takes the machine-wide lock, and on `strike()` takes a service down and brings it back after
 * `holdMs`: `bring down` runs, then `bring back` — which a shell trap runs whatever ends the script, so that the service
 * comes back even if this process dies in between. `flock -o` keeps the lock out of the script's
 * children: a server the script starts again daemonizes and would otherwise hold the lock for ever.
 * `bring back` runs in its own session (setsid), so that nothing signalling this run's process group
 * takes the restarted server with it.
 */
export function machineOutage(what: string, bringDown: string, bringBack: string, holdMs: number): MachineOutage {
  const script = [
    'echo locked',
    'read -r go',
    `trap 'setsid -w ${bringBack} >/dev/null' EXIT`,
    `${bringDown} >/dev/null`,
    'echo down',
    `sleep ${(holdMs / 1000).toFixed(3)}`,
  ].join('\n');
  const child = spawn('flock', ['-o', machineFaultLock(), 'bash', '-euc', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let downAt: number | undefined;
  const seen = (marker: string) =>
    new Promise<void>((resolve, reject) => {
      const look = () => {
        if (!output.includes(marker)) return;
        child.stdout.off('data', look);
        resolve();
      };
      child.stdout.on('data', look);
      child.once('close', () => reject(new Error(`${what}: ended before '${marker}':\n${output}`)));
    });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const locked = seen('locked');
  const down = seen('down').then(() => void (downAt = performance.now()));
  // The caller may wait on `over` alone.
  locked.catch(() => undefined);
  down.catch(() => undefined);
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const over = new Promise<{ outageMs: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`${what} ended with code ${code}:\n${output}`));
      resolve({ outageMs: downAt === undefined ? 0 : Math.round(performance.now() - downAt) });
    });
  });
  const strike = () => {
    child.stdin.end('go\n');
    return down;
  };
  return { locked, strike, over };
}
