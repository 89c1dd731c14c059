import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { SERVICE_NODE_FLAGS, SYSTEM_SERVICES, serviceCommandOf } from '@sagaflow/contracts';
import { findRepoRoot } from '@sagaflow/contracts/testing';

describe('V8 flags of the services', () => {
  it('are the same for a local process, the test kit and the image', async () => {
    expect(SERVICE_NODE_FLAGS).to.include('--max-semi-space-size=32');
    for (const service of SYSTEM_SERVICES) expect(serviceCommandOf(service).nodeArgs).to.deep.equal(SERVICE_NODE_FLAGS);
    const dockerfile = await readFile(join(findRepoRoot(), 'Dockerfile'), 'utf8');
    const options = /^ENV .*\bNODE_OPTIONS=(\S+|"[^"]*")/m.exec(dockerfile)?.[1]?.replaceAll('"', '');
    expect(options, 'NODE_OPTIONS in the Dockerfile').to.equal(SERVICE_NODE_FLAGS.join(' '));
  });
});
