#!/usr/bin/env node
// Writes ops/config/rabbitmq/definitions.json (classic queues) and definitions.quorum.json (quorum
// queues) from the contracts' topology, the event log stream included (`make rabbitmq-definitions`).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { QUEUE_TYPES } from '@sagaflow/contracts';
import { definitionsFileOf, deploymentTopology, rabbitmqDefinitions } from './rabbitmq-definitions.js';

for (const queueType of QUEUE_TYPES) {
  const path = fileURLToPath(new URL(`../../../config/rabbitmq/${definitionsFileOf(queueType)}`, import.meta.url));
  const definitions = rabbitmqDefinitions(deploymentTopology(queueType));
  writeFileSync(path, `${JSON.stringify(definitions, null, 2)}\n`);
  console.log(`wrote ${path} (${queueType} queues)`);
}
