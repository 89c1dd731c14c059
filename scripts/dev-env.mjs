#!/usr/bin/env node
// `make dev` with Docker: writes .env from .env.example when there is none, filling every empty
// secret with a fresh random value, so that Compose starts with credentials nobody committed.
// Usage: node scripts/dev-env.mjs [example] [target]   (defaults: .env.example, .env at the root)
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [example = `${root}.env.example`, target = `${root}.env`] = process.argv.slice(2);
const SECRET =
  /^(RABBITMQ_[A-Z]+_PASSWORD|MONGO_ROOT_PASSWORD|MONGO_REPLICA_SET_KEY|GRAFANA_ADMIN_PASSWORD|API_TOKEN)$/;

if (existsSync(target)) {
  console.log(`[dev] using ${target}`);
  process.exit(0);
}
const filled = [];
const text = readFileSync(example, 'utf8').replace(/^([A-Z0-9_]+)=$/gm, (line, name) => {
  if (!SECRET.test(name)) return line;
  filled.push(name);
  return `${name}=${randomBytes(18).toString('hex')}`;
});
writeFileSync(target, text, { mode: 0o600 });
console.log(`[dev] wrote ${target} with fresh random ${filled.join(', ')}`);
