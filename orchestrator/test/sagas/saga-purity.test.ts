import { expect } from 'chai';
import { ioModuleLoadedBy } from '@sagaflow/contracts/testing';

describe('saga definitions', () => {
  it('load no amqplib, winston, pg or mongoose module', () => {
    expect(ioModuleLoadedBy(new URL('../../src/sagas/index.js', import.meta.url).href)).to.equal(null);
  });

  it('the engine does (it runs sagas against the store), so the check can tell', () => {
    expect(ioModuleLoadedBy(new URL('../../src/index.js', import.meta.url).href)).to.match(/loads an I\/O module/);
  });
});
