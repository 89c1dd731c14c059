import { spawnSync } from 'node:child_process';

/** Packages that do I/O: a module that must stay pure may load none of them, directly or through others. */
export const IO_PACKAGES = ['amqplib', 'amqp-connection-manager', 'winston', 'pg', 'mongoose', '@typegoose/typegoose'];

// Runs in Node's module-hooks thread: refuses to resolve any module inside one of the I/O packages.
const hook = (packages: string[]) => `
const forbidden = new RegExp('/node_modules/(${packages.map((p) => p.replace('/', '\\\\/')).join('|')})/');
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (forbidden.test(result.url)) throw new Error('loads an I/O module: ' + result.url);
  return result;
}`;

/**
 * Imports `moduleUrl` in a fresh Node process that refuses every module of `packages`. Returns null
 * when it loaded, else what the process said (the first I/O module it reached, or another failure).
 */
export function ioModuleLoadedBy(moduleUrl: string, packages: string[] = IO_PACKAGES): string | null {
  const hookUrl = `data:text/javascript,${encodeURIComponent(hook(packages))}`;
  const script = [
    "import { register } from 'node:module';",
    `register(${JSON.stringify(hookUrl)});`,
    `await import(${JSON.stringify(moduleUrl)});`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status === 0) return null;
  return /loads an I\/O module: \S+/.exec(child.stderr)?.[0] ?? child.stderr.trim();
}
