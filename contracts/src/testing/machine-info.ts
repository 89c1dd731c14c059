import { cpus, totalmem } from 'node:os';

/** The machine a benchmark or a chaos run ran on, for its JSON report. */
export function machineInfo() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}
