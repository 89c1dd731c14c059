#!/usr/bin/env node
// Renders RabbitMQ's definitions for `load_definitions`: the committed definitions.json with every
// user's password hash filled in from RABBITMQ_<USER>_PASSWORD, so that no password is ever committed.
// Usage: [QUEUE_TYPE=quorum] node render-definitions.mjs <definitions.json> <output.json>
// With QUEUE_TYPE=quorum it reads the quorum queues' file beside it (definitions.quorum.json) instead.
// Runs in a stock node image before RabbitMQ starts (docker-compose.yml), hence no dependencies.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

/** rabbit_password_hashing_sha256: base64(salt ‖ sha256(salt ‖ utf8 password)), with a 4-byte salt. */
function rabbitPasswordHash(password, salt = randomBytes(4)) {
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node render-definitions.mjs <definitions.json> <output.json>');
  process.exit(2);
}
const queueType = process.env.QUEUE_TYPE?.trim() || 'classic';
if (!['classic', 'quorum'].includes(queueType)) {
  console.error(`QUEUE_TYPE must be one of classic, quorum (got '${queueType}')`);
  process.exit(2);
}
const source = queueType === 'classic' ? input : input.replace(/(\.json)?$/, `.${queueType}.json`);
const definitions = JSON.parse(readFileSync(source, 'utf8'));
const variableOf = (user) => `RABBITMQ_${user.toUpperCase()}_PASSWORD`;
const missing = definitions.users.map((u) => variableOf(u.name)).filter((name) => !process.env[name]);
if (missing.length) {
  console.error(`set ${missing.join(', ')} (see .env.example): every broker user needs a password`);
  process.exit(1);
}
for (const user of definitions.users) user.password_hash = rabbitPasswordHash(process.env[variableOf(user.name)]);
writeFileSync(output, JSON.stringify(definitions, null, 2), { mode: 0o644 });
console.log(`rendered ${definitions.users.length} users and ${queueType} queues from ${source} into ${output}`);
