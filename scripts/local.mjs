#!/usr/bin/env node
// `make local`: every Sagaflow service as a local process in the foreground (DESIGN §9).
// SERVICES=orchestrator,payment picks some; STORE_URL unset takes the first store that answers.
// PORT is the port of the one service SERVICES names (`SERVICES=payment PORT=8092 make local` adds a
// second payment worker next to a running system); with several it is the orchestrator's.
// A service that exits unexpectedly is started again with backoff (lib/supervisor.mjs).
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PARTICIPANT_NAMES, SYSTEM_SERVICES, defaultPortOf, serviceCommandOf } from '../contracts/dist/src/index.js';
import { Supervisor } from './lib/supervisor.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ALL = SYSTEM_SERVICES;
const PALETTE = [36, 33, 35, 32, 34, 31];
const colorOf = (name) => PALETTE[ALL.indexOf(name) % PALETTE.length];

const say = (line) => process.stdout.write(`\x1b[1m[local]\x1b[0m ${line}\n`);

function chosenServices() {
  const names = (process.env.SERVICES ?? ALL.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !ALL.includes(n));
  if (unknown.length || !names.length) {
    console.error(`SERVICES names ${unknown.join(', ') || 'nothing'}; choose from ${ALL.join(', ')}`);
    process.exit(2);
  }
  return [...new Set(names)];
}

const answers = (host, port) =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 500 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });

async function ensurePostgresDatabase(url) {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** The management UI's address when the plugin answers on the AMQP host. */
async function managementUi() {
  const amqp = new URL(process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672');
  const ui = `http://${amqp.hostname === '127.0.0.1' ? 'localhost' : amqp.hostname}:15672`;
  if (!(await answers(amqp.hostname, 15672))) return null;
  return ui;
}

async function chooseStore() {
  if (process.env.STORE_URL) return { url: process.env.STORE_URL, why: 'from STORE_URL' };
  if (await answers('127.0.0.1', 27017)) {
    return { url: 'mongodb://127.0.0.1:27017/sagaflow', why: 'MongoDB answered on 127.0.0.1:27017' };
  }
  if (await answers('127.0.0.1', 5432)) {
    const url = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/sagaflow';
    await ensurePostgresDatabase(url);
    return { url, why: 'PostgreSQL answered on 127.0.0.1:5432 (no MongoDB on 27017)' };
  }
  console.error(
    'No store answers: start MongoDB on 127.0.0.1:27017 or PostgreSQL on 127.0.0.1:5432, or set STORE_URL.',
  );
  process.exit(1);
}

/**
 * Each chosen service's port. PORT is the port of the one service SERVICES names, a participant too;
 * with several it is the orchestrator's, and a participant takes INVENTORY_PORT etc. or its own default.
 */
function portsOf(names) {
  const port = process.env.PORT?.trim() || undefined;
  if (port !== undefined && names.length > 1 && !names.includes('orchestrator')) {
    const own = names.map((n) => `${n.toUpperCase()}_PORT`).join(', ');
    console.error(
      `PORT is the orchestrator's port when SERVICES names several (${names.join(', ')}): ` +
        `start one service per make local (SERVICES=${names[0]} PORT=${port}), or set ${own}`,
    );
    process.exit(2);
  }
  return new Map(
    names.map((name) => {
      const own = process.env[`${name.toUpperCase()}_PORT`]?.trim() || undefined;
      const chosen = names.length === 1 ? (port ?? own) : name === 'orchestrator' ? port : own;
      return [name, chosen ?? String(defaultPortOf(name))];
    }),
  );
}

const services = chosenServices();
const ports = portsOf(services);
const store = await chooseStore();
say(`store: ${store.url.replace(/\/\/[^@/]*@/, '//***@')} (${store.why})`);
say(`services: ${services.map((name) => `${name} on port ${ports.get(name)}`).join(', ')}`);
if (services.includes('orchestrator')) {
  const base = `http://localhost:${ports.get('orchestrator')}`;
  say(`UI: ${base}/ui/   API: ${base}/orders   API docs: ${base}/docs   metrics: ${base}/metrics`);
}
const management = await managementUi();
if (management) say(`RabbitMQ UI: ${management}`);

function prefix(name, stream, target) {
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop();
    for (const line of lines) target.write(`\x1b[${colorOf(name)}m${name.padEnd(12)}\x1b[0m ${line}\n`);
  });
}

/**
 * A service's environment: its port (see `portsOf`); the orchestrator is told where a participant on
 * another port than its default is (INVENTORY_PORT etc.), unless INVENTORY_URL etc. say it.
 */
function envOf(name) {
  const env = { ...process.env, STORE_URL: store.url, PORT: ports.get(name) };
  if (name === 'orchestrator') {
    for (const participant of PARTICIPANT_NAMES) {
      const participantPort = process.env[`${participant.toUpperCase()}_PORT`];
      const urlName = `${participant.toUpperCase()}_URL`;
      if (participantPort && !process.env[urlName]) env[urlName] = `http://127.0.0.1:${participantPort}`;
    }
  }
  return env;
}

const supervisor = new Supervisor({ log: say });
for (const name of services) {
  const { nodeArgs, script, args } = serviceCommandOf(name);
  supervisor.add(name, {
    command: process.execPath,
    args: [...nodeArgs, script, ...args],
    cwd: root,
    env: envOf(name),
    onSpawn: (child) => {
      prefix(name, child.stdout, process.stdout);
      prefix(name, child.stderr, process.stderr);
    },
  });
}

let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  say(`stopping (${signal})`);
  supervisor.stopAll('SIGTERM').then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
