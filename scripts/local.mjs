#!/usr/bin/env node
// `make local`: every Sagaflow service as a local process in the foreground (DESIGN §9).
// SERVICES=orchestrator,payment picks some; STORE_URL unset takes the first store that answers.
// A service that exits unexpectedly is started again with backoff (lib/supervisor.mjs).
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SYSTEM_SERVICES, serviceCommandOf } from '../contracts/dist/src/index.js';
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

const services = chosenServices();
const store = await chooseStore();
const port = process.env.PORT || '8080';
say(`store: ${store.url.replace(/\/\/[^@/]*@/, '//***@')} (${store.why})`);
say(`services: ${services.join(', ')}`);
if (services.includes('orchestrator')) {
  const base = `http://localhost:${port}`;
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
 * A service's port: PORT for the orchestrator; INVENTORY_PORT etc. override a participant's default,
 * and the orchestrator is told where that participant is then (unless INVENTORY_URL etc. say it).
 */
function envOf(name) {
  const env = { ...process.env, STORE_URL: store.url };
  const own = process.env[`${name.toUpperCase()}_PORT`];
  if (name === 'orchestrator') {
    env.PORT = port;
    for (const participant of ['inventory', 'payment', 'notification']) {
      const participantPort = process.env[`${participant.toUpperCase()}_PORT`];
      const urlName = `${participant.toUpperCase()}_URL`;
      if (participantPort && !process.env[urlName]) env[urlName] = `http://127.0.0.1:${participantPort}`;
    }
  } else if (own) env.PORT = own;
  else delete env.PORT; // each participant listens on its own port (DESIGN §6)
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
