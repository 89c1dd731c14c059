import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';
import { findRepoRoot } from '@sagaflow/contracts/testing';

const root = findRepoRoot();
const run = promisify(execFile);
const composeFile = join(root, 'docker-compose.yml');

interface ComposeService {
  healthcheck?: { test: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string | null>;
}

/** `KEY=value` lines of an env file. */
async function envFileKeys(path: string): Promise<Map<string, string>> {
  const text = await readFile(path, 'utf8');
  return new Map([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

/** `make dev`'s .env: .env.example with fresh secrets, written by scripts/dev-env.mjs. */
async function withDevEnv<T>(use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sagaflow-env-'));
  try {
    const path = join(dir, '.env');
    await run(process.execPath, [join(root, 'scripts', 'dev-env.mjs'), join(root, '.env.example'), path]);
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs Debian's docker-compose (1.29) on the Compose file with only this env file: no engine needed. */
const composeConfig = (envFile: string, ...args: string[]) =>
  run('docker-compose', ['--env-file', envFile, '-f', composeFile, 'config', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH },
  });

describe('docker-compose.yml', () => {
  let resolved: { services: Record<string, ComposeService> };

  before(async function () {
    const installed = await run('docker-compose', ['version']).then(
      () => true,
      () => false,
    );
    if (!installed) {
      process.stderr.write(
        '      docker-compose is not installed (apt-get install -y docker-compose): Compose checks SKIPPED\n',
      );
      this.skip();
    }
    resolved = await withDevEnv(async (envFile) => parse((await composeConfig(envFile)).stdout));
  });

  it('validates with the .env that make dev writes', async () => {
    await withDevEnv((envFile) => composeConfig(envFile, '-q'));
  });

  it('refuses to start without the secrets, naming them', async () => {
    const failed = await composeConfig(join(root, '.env.example'), '-q').then(
      () => null,
      (error: { stderr: string }) => error.stderr,
    );
    expect(failed).to.match(/RABBITMQ_\w+_PASSWORD|MONGO_\w+|GRAFANA_ADMIN_PASSWORD/);
  });

  it('runs the four services, RabbitMQ, MongoDB, Prometheus, Grafana and Jaeger', () => {
    expect(Object.keys(resolved.services)).to.include.members([
      'orchestrator',
      'inventory',
      'payment',
      'notification',
      'rabbitmq',
      'mongo',
      'prometheus',
      'grafana',
      'jaeger',
    ]);
  });

  it('gives every long-running service a health check, and waits on health', () => {
    const oneShots = new Set(
      Object.values(resolved.services).flatMap((s) =>
        Object.entries(s.depends_on ?? {})
          .filter(([, d]) => d.condition === 'service_completed_successfully')
          .map(([name]) => name),
      ),
    );
    for (const [name, service] of Object.entries(resolved.services)) {
      if (oneShots.has(name)) continue;
      expect(service.healthcheck?.test, `${name} has a health check`).to.not.equal(undefined);
      expect(service.healthcheck?.disable, `${name}'s health check is on`).to.not.equal(true);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const expected = oneShots.has(dependency) ? 'service_completed_successfully' : 'service_healthy';
        expect(condition, `${name} waits for ${dependency}`).to.equal(expected);
      }
    }
  });

  it('connects each service to RabbitMQ as its own user', () => {
    for (const name of ['orchestrator', 'inventory', 'payment', 'notification']) {
      const url = new URL(resolved.services[name].environment?.AMQP_URL ?? 'amqp://missing');
      expect(url.username, `${name}'s broker user`).to.equal(name);
      expect(url.password, `${name}'s broker password`).to.not.equal('');
    }
  });

  it('names every variable it interpolates in .env.example', async () => {
    const text = await readFile(composeFile, 'utf8');
    const used = new Set([...text.matchAll(/(?<!\$)\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    const documented = await envFileKeys(join(root, '.env.example'));
    expect([...used].filter((name) => !documented.has(name))).to.deep.equal([]);
  });
});

/** Every `.ts` and `.mjs` source under `dir`, tests and build output left out. */
async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return ['node_modules', 'dist', 'test'].includes(entry.name) ? [] : sources(path);
      return /\.(ts|tsx|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
    }),
  );
  return found.flat();
}

/** How code reads a variable: `process.env.X`, `env.X`, `env['X']`, an EnvReader call, `(env, 'X'`, Vite's `import.meta.env.X`. */
const READS = [
  /\benv\s*(?:\.|\?\.)\s*([A-Z][A-Z0-9_]+)\b/g,
  /\benv\s*\[\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\]/g,
  /\.(?:string|optional|int|intList|url|oneOf|list|bool|boolean)\(\s*['"]([A-Z][A-Z0-9_]+)['"]/g,
  /\(\s*env\s*,\s*['"]([A-Z][A-Z0-9_]+)['"]/g,
];

describe('.env.example', () => {
  it('names every variable the code reads', async () => {
    const files = (
      await Promise.all(['contracts', 'orchestrator', 'participants', 'ops', 'ui'].map((p) => sources(join(root, p))))
    ).flat();
    files.push(...(await sources(join(root, 'scripts'))));
    const read = new Map<string, string>();
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const pattern of READS) {
        for (const match of text.matchAll(pattern)) read.set(match[1], relative(root, file));
      }
    }
    // The scan itself works: it finds variables read each way.
    expect([...read.keys()]).to.include.members(['AMQP_URL', 'PAYMENT_LIMIT_CENTS', 'SMTP_URL', 'SERVICES']);
    const documented = await envFileKeys(join(root, '.env.example'));
    const missing = [...read].filter(([name]) => !documented.has(name)).map(([name, file]) => `${name} (${file})`);
    expect(missing).to.deep.equal([]);
  });
});
