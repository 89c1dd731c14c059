#!/usr/bin/env node
// Writes ops/config/rabbitmq/definitions.json from the contracts' topology (`make rabbitmq-definitions`).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sagaflowTopology } from '@sagaflow/contracts';
import { rabbitmqDefinitions } from './rabbitmq-definitions.js';

const path = fileURLToPath(new URL('../../../config/rabbitmq/definitions.json', import.meta.url));
writeFileSync(path, `${JSON.stringify(rabbitmqDefinitions(sagaflowTopology()), null, 2)}\n`);
console.log(`wrote ${path}`);
