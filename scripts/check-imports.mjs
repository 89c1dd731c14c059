#!/usr/bin/env node
// Checks the import rules of the code base (run by `make lint`):
// - packages depend one way: contracts on no other package; orchestrator, participants and ops on
//   contracts alone, and only through its public entry points;
// - folders keep to what they are for (FOLDER_RULES): the contracts root and the saga definitions
//   do no I/O, the engine knows metrics only through its own interface;
// - the viewer (ui) talks to the orchestrator over HTTP and takes only types from contracts into
//   the browser;
// - no import cycles between source files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['contracts', 'orchestrator', 'participants', 'ops', 'ui'];
const ALLOWED = {
  contracts: [],
  orchestrator: ['@sagaflow/contracts', '@sagaflow/contracts/messaging', '@sagaflow/contracts/testing'],
  participants: ['@sagaflow/contracts', '@sagaflow/contracts/messaging', '@sagaflow/contracts/testing'],
  ops: ['@sagaflow/contracts', '@sagaflow/contracts/messaging', '@sagaflow/contracts/testing'],
  ui: ['@sagaflow/contracts', '@sagaflow/contracts/messaging', '@sagaflow/contracts/testing'],
};

/**
 * What the files under `folder` (minus `except`) may import: only the `packages` listed (when the
 * list is given; `node:` builtins count as packages), never one of `forbid`, and of the repository's
 * own files only those under `reach` (when given) and none under `avoid`.
 */
const FOLDER_RULES = [
  {
    folder: 'contracts/src/',
    except: ['contracts/src/messaging/', 'contracts/src/testing/'],
    why: 'the contracts root is pure: schemas, topology as data, configuration',
    packages: ['@sinclair/typebox', 'ajv', 'ajv-formats'],
    avoid: ['contracts/src/messaging/', 'contracts/src/testing/'],
  },
  {
    folder: 'contracts/src/messaging/',
    why: 'the messaging runtime does not depend on the test harness',
    avoid: ['contracts/src/testing/'],
  },
  {
    folder: 'orchestrator/src/sagas/',
    why: 'saga definitions decide and do no I/O',
    packages: ['xstate', '@sagaflow/contracts'],
    reach: ['orchestrator/src/sagas/'],
  },
  {
    folder: 'orchestrator/src/engine/',
    why: 'the engine reports through its metrics interface',
    forbid: ['prom-client'],
    avoid: ['orchestrator/src/metrics.ts'],
  },
];

const rulesFor = (where) =>
  FOLDER_RULES.filter((r) => where.startsWith(r.folder) && !(r.except ?? []).some((e) => where.startsWith(e)));

function checkFolderRules(where, spec, target) {
  for (const rule of rulesFor(where)) {
    const broken = (what) => problems.push(`${where}: imports ${what} (${rule.why})`);
    if (target) {
      const to = relative(root, target);
      if (rule.reach && !rule.reach.some((r) => to.startsWith(r))) broken(to);
      else if ((rule.avoid ?? []).some((a) => to.startsWith(a))) broken(to);
    } else {
      const name = spec.startsWith('node:')
        ? spec
        : spec
            .split('/')
            .slice(0, spec.startsWith('@') ? 2 : 1)
            .join('/');
      const allowed = rule.packages?.includes(spec);
      if ((rule.packages && !allowed) || (rule.forbid ?? []).includes(name)) broken(spec);
    }
  }
}

const sources = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });

/** A relative import to its source file: `./x.js` is `x.ts`; the viewer's imports name no extension (`.ts` or `.tsx`). */
const resolveSource = (dir, spec) => {
  const base = resolve(dir, spec.replace(/\.js$/, ''));
  return ['.ts', '.tsx'].map((ext) => base + ext).find((candidate) => existsSync(candidate)) ?? `${base}.ts`;
};

const problems = [];
const graph = new Map();
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

for (const pkg of PACKAGES) {
  for (const file of ['src', 'test', 'bench'].flatMap((d) => {
    try {
      return sources(join(root, pkg, d));
    } catch {
      return [];
    }
  })) {
    const edges = [];
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1] ?? match[2];
      const where = relative(root, file);
      if (spec.startsWith('.')) {
        const target = resolveSource(dirname(file), spec);
        if (!target.startsWith(join(root, pkg) + '/'))
          problems.push(`${where}: reaches into another package (${spec})`);
        // Type-only imports vanish at run time but still tie the files together; count them too.
        edges.push(target);
        checkFolderRules(where, spec, target);
      } else if (spec.startsWith('@sagaflow/') && !ALLOWED[pkg].includes(spec)) {
        problems.push(`${where}: ${pkg} may not import ${spec}`);
      } else if (
        pkg === 'ui' &&
        where.startsWith('ui/src/') &&
        spec.startsWith('@sagaflow/') &&
        !/^\s*import\s+type\s/.test(match[0])
      ) {
        problems.push(`${where}: the browser bundle takes only types from ${spec} (import type)`);
      } else checkFolderRules(where, spec, null);
    }
    graph.set(file, edges);
  }
}

// Depth-first search for cycles among source files of one package (tests may import sources freely).
const state = new Map();
const stack = [];
const visit = (file) => {
  state.set(file, 'open');
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next) || !next.includes('/src/')) continue;
    if (state.get(next) === 'open') {
      const cycle = stack
        .slice(stack.indexOf(next))
        .concat(next)
        .map((f) => relative(root, f));
      problems.push(`import cycle: ${cycle.join(' -> ')}`);
    } else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, 'done');
};
for (const file of graph.keys()) if (file.includes('/src/') && !state.has(file)) visit(file);

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`imports ok: ${graph.size} files, packages depend one way, folders keep their rules, no cycles`);
