#!/usr/bin/env node
import { runService } from '@sagaflow/contracts/messaging';
import { readConfig } from './config.js';
import { start } from './orchestrator.js';

await runService({ name: 'orchestrator', readConfig: () => readConfig(), start });
