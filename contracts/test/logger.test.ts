import { expect } from 'chai';
import { createLogger } from '../src/messaging/logger.js';

/** Metadata that counts how often the logger reads it: formats read every field of an entry they handle. */
function watchedMeta() {
  const meta = { reads: 0 };
  Object.defineProperty(meta, 'sagaId', {
    enumerable: true,
    get: () => {
      meta.reads++;
      return 'saga-1';
    },
  });
  return meta;
}

/** What `work` writes to stdout, where the logger's console transport writes below `warn`. */
function stdoutOf(work: () => void): string {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(chunk.toString());
    return true;
  }) as typeof process.stdout.write;
  try {
    work();
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

describe('the logger', () => {
  it('does not handle an entry below its level at all', () => {
    const logger = createLogger('test', 'info');
    const meta = watchedMeta();
    const out = stdoutOf(() => expect(logger.debug('saga changed', meta)).to.equal(logger));
    expect(out).to.equal('');
    expect(meta.reads).to.equal(0);
  });

  it('writes entries at or above its level as JSON with their metadata', () => {
    const logger = createLogger('test', 'info');
    const meta = watchedMeta();
    const out = stdoutOf(() => logger.info('saga changed', meta));
    const entry = JSON.parse(out) as Record<string, unknown>;
    expect(entry).to.include({ level: 'info', message: 'saga changed', service: 'test', sagaId: 'saga-1' });
    expect(entry.timestamp).to.be.a('string');
  });

  it('follows a level changed at run time, in child loggers too', () => {
    const logger = createLogger('test', 'info');
    logger.level = 'debug';
    const child = logger.child({ component: 'relay' });
    const entry = JSON.parse(stdoutOf(() => child.debug('now shown', watchedMeta()))) as Record<string, unknown>;
    expect(entry).to.include({ level: 'debug', message: 'now shown', component: 'relay', sagaId: 'saga-1' });
    logger.level = 'warn';
    expect(stdoutOf(() => child.info('hidden again'))).to.equal('');
  });
});
