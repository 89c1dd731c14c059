import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { EXIT_BAD_USAGE, PARTICIPANT_NAMES, serviceCommandOf, SYSTEM_SERVICES } from '@sagaflow/contracts';
import { findRepoRoot } from '@sagaflow/contracts/testing';

const root = findRepoRoot();

describe('a service started with a bad configuration', () => {
  for (const service of SYSTEM_SERVICES) {
    it(`${service}: prints one line naming the variable and what is allowed, and exits 2`, () => {
      const { script, args } = serviceCommandOf(service);
      const child = spawnSync(process.execPath, [script, ...args], {
        cwd: root,
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, LOG_LEVEL: 'loud', STORE_URL: 'postgres://127.0.0.1:1/none' },
      });
      expect(child.status, child.stderr).to.equal(EXIT_BAD_USAGE);
      expect(child.stdout).to.equal('');
      expect(child.stderr.trimEnd().split('\n')).to.deep.equal([
        `${service}: invalid configuration: LOG_LEVEL must be one of error, warn, info, debug (got 'loud')`,
      ]);
    });
  }

  it('a participant asked for a store it cannot use, or an unknown participant, says so and exits 2', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['participants/dist/src/main.js', ...args], {
        cwd: root,
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, STORE_URL: 'mysql://127.0.0.1/db' },
      });
    const store = run(['payment']);
    expect(store.status).to.equal(EXIT_BAD_USAGE);
    expect(store.stderr).to.match(/^payment: invalid configuration: STORE_URL must be a mongodb:\/\//);
    const unknown = run(['no-such-participant']);
    expect(unknown.status).to.equal(EXIT_BAD_USAGE);
    expect(unknown.stderr).to.include(
      `unknown participant 'no-such-participant' (one of ${PARTICIPANT_NAMES.join(', ')})`,
    );
  });
});
