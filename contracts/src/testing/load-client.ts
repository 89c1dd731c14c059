import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, type Agent } from 'node:http';

/** An HTTP answer of 400 or more, with its status (a load client retries a 5xx, not a 4xx). */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

/**
 * JSON over node:http through `agent` (kept-alive connections): far cheaper per request than fetch,
 * which matters when a benchmark's client shares the machine with what it measures. Resolves with
 * the parsed body (undefined when empty); rejects with an `HttpFailure` on a status of 400 or more.
 */
export function requestJson<T>(
  agent: Agent,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const contentHeaders =
    payload === undefined
      ? {}
      : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
  return new Promise<T>((resolve, reject) => {
    const req = request(url, { method, agent, headers: { ...headers, ...contentHeaders } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 400)
          reject(new HttpFailure(`${method} ${url}: ${res.statusCode} ${text}`, res.statusCode!));
        else resolve((text ? JSON.parse(text) : undefined) as T);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

let ticksPerSecond: number | undefined;

/** CPU milliseconds a process has used so far (user + system), read from /proc; 0 when it is gone. */
export function cpuMsOf(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}
