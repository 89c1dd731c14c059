import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSTEM_SERVICES, serviceCommandOf, type SystemService } from '../services.js';
import { createTestSchema, type TestSchema } from './pg-schema.js';
import { createTestVhost, type TestVhost } from './vhost.js';

export interface LocalSystemOptions {
  /** AMQP URL into the broker (usually a test vhost's `url`); or give `vhost`. */
  amqpUrl?: string;
  vhost?: { url: string };
  /** `STORE_URL` of every service, e.g. a test schema's `url`. */
  storeUrl: string;
  /** Which services to run; all four by default. */
  services?: readonly SystemService[];
  /**
   * Processes per service, e.g. `{ orchestrator: 2, payment: 2 }`; one of each by default. Each has its
   * own port; they share the broker's queues (competing consumers) and the store.
   */
  instances?: Partial<Record<SystemService, number>>;
  /** Variables for every service (DESIGN §8), e.g. short `STEP_TIMEOUT_MS` and `RETRY_DELAYS_MS` for tests. */
  env?: Record<string, string>;
  /** Variables for one service only; they win over `env`. */
  serviceEnv?: Partial<Record<SystemService, Record<string, string>>>;
  /**
   * Variables for single instances of a service, by position (the first instance's first), e.g.
   * `{ payment: [{ PAYMENT_CURRENCIES: 'EUR,GBP' }, {}] }`; they win over `serviceEnv`.
   */
  instanceEnv?: Partial<Record<SystemService, Record<string, string>[]>>;
  /** How long a service may take to answer `GET /healthz` (45 s by default: a busy two-core machine is slow to start five processes). */
  startTimeoutMs?: number;
  /** How long a SIGTERM may take before SIGKILL. */
  stopTimeoutMs?: number;
  /** Lines of output kept per service for failure messages. */
  keepLines?: number;
  /** Called with a report when a service exits without being told to; writes to stderr by default. */
  onUnexpectedExit?: (service: SystemService, report: string) => void;
}

export interface HttpResult {
  status: number;
  /** The parsed JSON body; undefined when there is none or it is not JSON (see `text`). */
  body: unknown;
  text: string;
}

/**
 * JSON over HTTP with a 10 s deadline (a string body is sent as it is); resolves with any status and
 * rejects only when no answer came.
 */
export async function fetchJson(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const response = await fetch(url, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}

/** The Sagaflow services as real processes (`node <package>/dist/src/main.js`), as `make local` runs them. */
export interface LocalSystem {
  readonly amqpUrl: string;
  readonly storeUrl: string;
  /** Base URL (`http://127.0.0.1:<port>`) of every service started (its first instance). */
  readonly urls: Readonly<Partial<Record<SystemService, string>>>;
  /** The base URL of a service's first instance. */
  url(service: SystemService): string;
  /** The base URLs of every instance of a service, the first first. */
  urlsOf(service: SystemService): string[];
  /** The process id of a service's first instance while it runs (for reading its CPU time), else undefined. */
  pid(service: SystemService): number | undefined;
  /** The process ids of the instances of a service that run now. */
  pidsOf(service: SystemService): number[];
  /** JSON over HTTP to a service's first instance; never throws on a 4xx/5xx. */
  request(
    service: SystemService,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpResult>;
  /** Ends every instance of a service the hard way (no drain), as a crash would; it stays down until `restart`. */
  kill(service: SystemService, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Stops every instance of a service (SIGTERM, drain) that runs, starts each again on its port and
   * waits until they are healthy.
   */
  restart(service: SystemService): Promise<void>;
  /** Services that exited without being told to (`instance` counts from 1). */
  unexpectedExits(): { service: SystemService; instance: number; code: number | null; signal: NodeJS.Signals | null }[];
  /** The last lines each service wrote, every instance (all services when none is named). */
  output(service?: SystemService, lines?: number): string;
  /** SIGTERM to every service, SIGKILL to any still running after `stopTimeoutMs`. */
  stop(): Promise<void>;
}

/** Variables of DESIGN §8 that must come from the options only, never from the test runner's environment. */
const OWN_VARIABLES = [
  'AMQP_URL',
  'STORE_URL',
  'PORT',
  'API_TOKEN',
  'LOG_LEVEL',
  'STEP_TIMEOUT_MS',
  'STEP_MAX_ATTEMPTS',
  'RETRY_DELAYS_MS',
  'RETRY_JITTER',
  'QUEUE_TYPE',
  'PAYMENT_LIMIT_CENTS',
  'PAYMENT_CURRENCIES',
  'RATE_LIMIT_PER_MINUTE',
  'ORCHESTRATOR_URL',
  'SMTP_URL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'CORS_ORIGINS',
  'UI_DIR',
  'INVENTORY_URL',
  'PAYMENT_URL',
  'NOTIFICATION_URL',
  'EVENT_LOG_MAX_BYTES',
  'EVENT_LOG_MAX_AGE',
];

/** The repository root: the nearest directory above this module whose package.json declares workspaces. */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown };
      if (parsed.workspaces !== undefined) return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no workspace root above ${from}`);
  }
}

/** A port nobody listens on right now: bound on port 0, then let go for the service to take. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port bound');
  return address.port;
}

function commandOf(root: string, service: SystemService): string[] {
  const { nodeArgs, script, args } = serviceCommandOf(service);
  const main = join(root, script);
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b)`);
  return [...nodeArgs, main, ...args];
}

/** Children still running when the test runner exits (a crash, Ctrl-C) are killed with it, not orphaned. */
const living = new Set<ChildProcess>();
let reaperInstalled = false;

function adopt(child: ChildProcess): void {
  living.add(child);
  child.once('exit', () => living.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const orphan of living) orphan.kill('SIGKILL');
  });
}

class ServiceProcess {
  child: ChildProcess | null = null;
  private closed: Promise<void> = Promise.resolve();
  private lines: string[] = [];
  private partial = '';
  private expectingExit = false;
  /** An exit while starting is reported by the start itself. */
  private starting = false;
  private generation = 0;

  constructor(
    readonly name: SystemService,
    /** `payment` for a service's only or first instance, `payment#2` for its second. */
    readonly label: string,
    readonly port: number,
    private readonly argv: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly keepLines: number,
    private readonly onUnexpectedExit: (code: number | null, signal: NodeJS.Signals | null) => void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  output(lines = this.keepLines): string {
    const tail = [...this.lines, ...(this.partial ? [this.partial] : [])].slice(-lines);
    return tail.join('\n');
  }

  spawn(): void {
    this.generation++;
    this.expectingExit = false;
    const child = spawn(process.execPath, this.argv, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    adopt(child);
    const generation = this.generation;
    const collect = (chunk: Buffer) => this.collect(chunk.toString('utf8'));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    // 'close' rather than 'exit': by then everything the process wrote has been read.
    this.closed = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.collect(`\n[${this.label} exited: code ${code}, signal ${signal}]\n`);
        if (!this.expectingExit && !this.starting && generation === this.generation)
          this.onUnexpectedExit(code, signal);
        resolve();
      }),
    );
  }

  /** Polls `GET /healthz` until it answers 200; fails at once with the output if the process exits. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    this.starting = true;
    try {
      await this.pollHealth(timeoutMs);
    } finally {
      this.starting = false;
    }
  }

  private async pollHealth(timeoutMs: number): Promise<void> {
    const child = this.child!;
    const deadline = Date.now() + timeoutMs;
    let last = 'not polled yet';
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await this.closed;
        throw new Error(`${this.label} exited while starting:\n${this.output(40)}`);
      }
      try {
        const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
        last = `/healthz answered ${response.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.label} not healthy within ${timeoutMs} ms (${last}):\n${this.output(40)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILL once `timeoutMs` has passed. */
  async terminate(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const child = this.child;
    if (child === null) return;
    if (!this.running) return this.closed;
    this.expectingExit = true;
    const exited = this.closed;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    const outcome = await Promise.race([exited.then(() => 'exited' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.collect(`\n[${this.label} did not stop within ${timeoutMs} ms of ${signal}: SIGKILL]\n`);
      child.kill('SIGKILL');
      await exited;
    }
  }

  private collect(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) if (line !== '') this.lines.push(line);
    if (this.lines.length > this.keepLines) this.lines.splice(0, this.lines.length - this.keepLines);
  }
}

/**
 * Starts the services as child processes on free ports and waits until each answers `GET /healthz`.
 * If one does not, those started are stopped again and the error carries the failing one's output.
 */
export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  const amqpUrl = options.amqpUrl ?? options.vhost?.url;
  if (amqpUrl === undefined) throw new Error('startLocalSystem needs amqpUrl or vhost');
  const root = findRepoRoot();
  const services = options.services ?? SYSTEM_SERVICES;
  const startTimeoutMs = options.startTimeoutMs ?? 45_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const keepLines = options.keepLines ?? 200;
  const exits: ReturnType<LocalSystem['unexpectedExits']> = [];
  const report =
    options.onUnexpectedExit ?? ((_service: SystemService, text: string) => void process.stderr.write(`${text}\n`));

  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !OWN_VARIABLES.includes(key)));
  const countOf = (name: SystemService): number => {
    const count = options.instances?.[name] ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new Error(`instances.${name} must be a whole number ≥ 1`);
    return count;
  };
  const ports = new Map<SystemService, number[]>();
  for (const name of services) {
    const taken: number[] = [];
    for (let i = 0; i < countOf(name); i++) taken.push(await freePort());
    ports.set(name, taken);
  }
  // The orchestrator reads the catalogue and the records of the (first) participants started beside it.
  const participantUrls = (['inventory', 'payment', 'notification'] as const)
    .filter((name) => ports.has(name))
    .map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports.get(name)![0]}`]);
  const wiring: Partial<Record<SystemService, Record<string, string>>> = {
    orchestrator: Object.fromEntries(participantUrls),
  };
  const processes = new Map<SystemService, ServiceProcess[]>();
  for (const name of services) {
    const instances = ports.get(name)!.map((port, i) => {
      const instance = i + 1;
      const label = instance === 1 ? name : `${name}#${instance}`;
      const env: NodeJS.ProcessEnv = {
        ...inherited,
        LOG_LEVEL: 'info',
        ...wiring[name],
        ...options.env,
        ...options.serviceEnv?.[name],
        ...options.instanceEnv?.[name]?.[i],
        AMQP_URL: amqpUrl,
        STORE_URL: options.storeUrl,
        PORT: String(port),
      };
      const service = new ServiceProcess(name, label, port, commandOf(root, name), env, keepLines, (code, signal) => {
        exits.push({ service: name, instance, code, signal });
        report(
          name,
          `${label} exited unexpectedly (code ${code}, signal ${signal}); its last output:\n${service.output(40)}`,
        );
      });
      return service;
    });
    processes.set(name, instances);
  }
  const all = () => [...processes.values()].flat();

  const get = (name: SystemService): ServiceProcess[] => {
    const instances = processes.get(name);
    if (!instances)
      throw new Error(`${name} is not part of this system (started: ${[...processes.keys()].join(', ')})`);
    return instances;
  };
  const first = (name: SystemService): ServiceProcess => get(name)[0]!;
  const stopAll = async () => {
    await Promise.all(all().map((p) => p.terminate('SIGTERM', stopTimeoutMs)));
  };

  try {
    for (const service of all()) service.spawn();
    await Promise.all(all().map((p) => p.waitHealthy(startTimeoutMs)));
  } catch (error) {
    await stopAll();
    throw error;
  }

  return {
    amqpUrl,
    storeUrl: options.storeUrl,
    urls: Object.fromEntries([...processes].map(([name, instances]) => [name, instances[0]!.url])),
    url: (name) => first(name).url,
    urlsOf: (name) => get(name).map((p) => p.url),
    pid: (name) => (first(name).running ? first(name).child?.pid : undefined),
    pidsOf: (name) => get(name).flatMap((p) => (p.running && p.child?.pid !== undefined ? [p.child.pid] : [])),
    request: (name, method, path, body, headers) => fetchJson(method, `${first(name).url}${path}`, body, headers),
    async kill(name, signal = 'SIGKILL') {
      await Promise.all(get(name).map((p) => p.terminate(signal, stopTimeoutMs)));
    },
    async restart(name) {
      await Promise.all(
        get(name).map(async (service) => {
          await service.terminate('SIGTERM', stopTimeoutMs);
          service.spawn();
          await service.waitHealthy(startTimeoutMs);
        }),
      );
    },
    unexpectedExits: () => [...exits],
    output(name, lines) {
      const chosen = name === undefined ? all() : get(name);
      return chosen.map((p) => `----- ${p.label} (${p.url}) -----\n${p.output(lines)}`).join('\n');
    },
    stop: stopAll,
  };
}

/** A local system in its own vhost and PostgreSQL schema, removed again by `cleanup()`. */
export interface TestSystem {
  system: LocalSystem;
  vhost: TestVhost;
  schema: TestSchema;
  /** Stops the services, then deletes the vhost and drops the schema. */
  cleanup(): Promise<void>;
}

/** `startLocalSystem` on a fresh test vhost and schema (see `createTestVhost`, `createTestSchema`). */
export async function startTestSystem(
  options: Omit<LocalSystemOptions, 'amqpUrl' | 'vhost' | 'storeUrl'> & { prefix?: string } = {},
): Promise<TestSystem> {
  const prefix = options.prefix ?? 'system';
  const [vhost, schema] = await Promise.all([createTestVhost(prefix), createTestSchema(prefix.replaceAll('-', '_'))]);
  const dropAll = () => Promise.allSettled([vhost.delete(), schema.drop()]).then(() => undefined);
  let system: LocalSystem;
  try {
    system = await startLocalSystem({ ...options, vhost, storeUrl: schema.url });
  } catch (error) {
    await dropAll();
    throw error;
  }
  return {
    system,
    vhost,
    schema,
    cleanup: async () => {
      await system.stop();
      await dropAll();
    },
  };
}
