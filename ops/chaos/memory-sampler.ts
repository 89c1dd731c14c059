import { readFileSync } from 'node:fs';

/** Resident memory of a process in MB, from /proc; 0 when it is gone. */
export function rssMbOf(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line === undefined ? 0 : Math.round(Number(line.split(/\s+/)[1]) / 1024);
  } catch {
    return 0;
  }
}

/** The highest resident memory any of `pids()` reached, sampled every `intervalMs` until `stop`. */
export class MemorySampler {
  peakMb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: () => number[],
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.sample();
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakMb;
  }

  private sample(): void {
    for (const pid of this.pids()) this.peakMb = Math.max(this.peakMb, rssMbOf(pid));
  }
}
