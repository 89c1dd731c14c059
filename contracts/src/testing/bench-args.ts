import { parseArgs } from 'node:util';

/** A benchmark's options, each with its default. */
type BenchOptions = Record<string, { type: 'string'; default: string } | { type: 'boolean'; default: boolean }>;

/** The parsed values: every option has a default, so each is there. */
export type BenchValues<O extends BenchOptions> = {
  [K in keyof O]: O[K] extends { type: 'boolean' } ? boolean : string;
};

/**
 * A benchmark's command line: `--help` prints `usage` and exits 0; an unknown option, a missing value
 * or a stray argument prints what was wrong and `usage`, and exits 2 (bad usage), instead of a stack.
 */
export function parseBenchArgs<O extends BenchOptions>(usage: string, options: O): BenchValues<O> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ options: { ...options, help: { type: 'boolean', default: false } }, strict: true }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: ${usage}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`usage: ${usage}\n`);
    process.exit(0);
  }
  return values as BenchValues<O>;
}
