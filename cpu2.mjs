import { createTestVhost, createTestSchema, eventually } from '@sagaflow/contracts/testing';
import { spawn, execFileSync } from 'node:child_process';
const v = await createTestVhost('cpu'); const s = await createTestSchema('cpu');
const env = { ...process.env, AMQP_URL: v.url, STORE_URL: s.url, LOG_LEVEL: 'warn' };
const procs = [
  spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/sysprof/orch', 'orchestrator/dist/src/main.js'], { env: { ...env, PORT: '18080' }, stdio: 'inherit' }),
  spawn(process.execPath, ['participants/dist/src/main.js', 'inventory'], { env: { ...env, PORT: '18081' }, stdio: 'inherit' }),
  spawn(process.execPath, ['participants/dist/src/main.js', 'payment'], { env: { ...env, PORT: '18082' }, stdio: 'inherit' }),
  spawn(process.execPath, ['participants/dist/src/main.js', 'notification'], { env: { ...env, PORT: '18083' }, stdio: 'inherit' }),
];
for (const port of [18080, 18081, 18082, 18083]) await eventually(async () => { const r = await fetch(`http://127.0.0.1:${port}/healthz`); if (!r.ok) throw new Error(); }, { timeoutMs: 20000 });
execFileSync(process.execPath, ['ops/dist/bench/e2e-bench.js', '--url', 'http://127.0.0.1:18080', '--inventory-url', 'http://127.0.0.1:18081', '--orders', '1500', '--runs', '1'], { stdio: 'inherit' });
await Promise.all(procs.map((p) => new Promise((r) => { p.on('exit', r); p.kill('SIGTERM'); })));
await v.delete(); await s.drop();
