import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * The PostgreSQL processes that work for a set of client processes, read from /proc: the backends
 * whose client socket one of those processes holds, and the server's shared processes (WAL writer,
 * checkpointer, autovacuum, …). Backends of anything else on the machine — other tests, other
 * benchmarks — are left out, so the CPU a benchmark reads for PostgreSQL is its own plus the shared
 * part (which other load can still inflate: say so when reading it on a busy machine).
 */
export function postgresPidsServing(clientPids: readonly number[]): number[] {
  const ports = localPortsOf(clientPids);
  return postgresProcesses().flatMap(({ pid, title }) => {
    const client = title.match(/\((\d+)\)/);
    if (!client && !title.includes('[local]')) return [pid]; // the postmaster and its shared processes
    return client && ports.has(Number(client[1])) ? [pid] : [];
  });
}

function postgresProcesses(): { pid: number; title: string }[] {
  return pids().flatMap((pid) => {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') return [];
      return [{ pid, title: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ') }];
    } catch {
      return [];
    }
  });
}

/** Local TCP ports of the sockets the processes hold open. */
function localPortsOf(clientPids: readonly number[]): Set<number> {
  const inodes = new Set<string>();
  for (const pid of clientPids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // the process is gone
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith('socket:[')) inodes.add(target.slice(8, -1));
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[] = [];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && inodes.has(fields[9]!)) ports.add(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

const pids = (): number[] =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
