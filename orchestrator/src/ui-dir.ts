import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `make build` puts the timeline viewer: `ui/dist` of the checkout this module runs from, so
 * that `make local` serves it without UI_DIR. Undefined when no such build exists.
 */
export function builtUiDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'ui', 'package.json'))) {
      const dist = join(dir, 'ui', 'dist');
      return existsSync(join(dist, 'index.html')) ? dist : undefined;
    }
  }
  return undefined;
}
