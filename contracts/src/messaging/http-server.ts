import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpServer {
  readonly port: number;
  /** Requests being served right now. */
  readonly inFlight: number;
  /**
   * Drains, then closes: from now on every new request is answered 503 (`shutting_down`, with
   * `Connection: close`) while those in flight finish, for at most `graceMs`; then the port is let go
   * and any connection still open is cut. Safe to call again.
   */
  close(graceMs?: number): Promise<void>;
}

export interface HttpServerOptions {
  port: number;
  host?: string;
  /** How long `close()` waits for requests in flight by default. */
  graceMs?: number;
  /** Requests that are streams (Server-Sent Events) and must not hold the drain up. */
  isStream?: (req: IncomingMessage) => boolean;
  /** Called once the drain began (new requests get 503): ends the streams. */
  endStreams?: () => Promise<void> | void;
}

function refuse(res: ServerResponse): void {
  const body = JSON.stringify({ error: 'shutting_down', message: 'the service is stopping; try again shortly' });
  res.writeHead(503, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': '1',
    connection: 'close',
  });
  res.end(body);
}

/** An HTTP server that stops the way a service people run in production should. */
export async function serveHttp(handler: RequestListener, options: HttpServerOptions): Promise<HttpServer> {
  let draining = false;
  let inFlight = 0;
  /** Responses not yet done, streams included: a connection is cut only once its response is out. */
  let open = 0;
  let settled: (() => void) | null = null;
  const server = createServer((req, res) => {
    if (draining) return refuse(res);
    const counted = !options.isStream?.(req);
    if (counted) inFlight++;
    open++;
    res.once('close', () => {
      if (counted) inFlight--;
      open--;
      if (draining) settled?.();
    });
    handler(req, res);
  });
  server.listen(options.port, options.host ?? '0.0.0.0');
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);

  /** Resolves once `done()` holds, checked whenever a response ends, or when `ms` have passed. */
  const until = (done: () => boolean, ms: number) =>
    new Promise<void>((resolve) => {
      if (done()) return resolve();
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        settled = null;
        resolve();
      }
      settled = () => done() && finish();
    });

  let closing: Promise<void> | null = null;
  return {
    port: (server.address() as AddressInfo).port,
    get inFlight() {
      return inFlight;
    },
    close(graceMs = options.graceMs ?? 10_000) {
      closing ??= (async () => {
        // Idle keep-alive connections stay open until the end: their next request gets the 503.
        draining = true;
        const deadline = Date.now() + graceMs;
        await options.endStreams?.();
        await until(() => inFlight === 0, graceMs);
        // Ended streams flush their last bytes before their connections go.
        await until(() => open === 0, Math.max(0, Math.min(1_000, deadline - Date.now())));
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
