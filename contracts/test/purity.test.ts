import { expect } from 'chai';
import { ioModuleLoadedBy } from '../src/testing/index.js';

const entry = (path: string) => new URL(`../src/${path}`, import.meta.url).href;

describe('contracts entry points', () => {
  it('the root loads no module that does I/O', () => {
    expect(ioModuleLoadedBy(entry('index.js'))).to.equal(null);
  });

  it('the messaging runtime does, which is how the check above can fail', () => {
    expect(ioModuleLoadedBy(entry('messaging/index.js'))).to.match(
      /loads an I\/O module: .*node_modules\/(amqplib|amqp-connection-manager|winston)\//,
    );
  });
});
