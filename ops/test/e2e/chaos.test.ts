import { expect } from 'chai';
import { SHORT_SCALE } from '../../chaos/chaos-scale.js';
import { failureReport } from '../../chaos/chaos-report.js';
import { FAULTS } from '../../chaos/fault-list.js';
import { runFault } from '../../chaos/run-fault.js';

/**
 * The chaos suite at the reduced scale of `make test`: every fault of `make chaos` on its own fresh
 * system, fewer orders and shorter outages. A broken invariant fails its fault's test with what broke.
 */
describe('chaos: every fault under load, checked by its invariants (short run)', function () {
  for (const fault of FAULTS) {
    it(`${fault.name}: ${fault.summary}`, async function () {
      this.timeout(180_000);
      const result = await runFault(fault, SHORT_SCALE, (line) => process.stderr.write(`${line}\n`));
      expect(result.ok, `invariants broken:\n${failureReport([result])}`).to.equal(true);
      expect(result.figures.accepted, 'orders accepted').to.be.greaterThan(0);
      expect(result.figures.terminal, 'accepted orders seen finished').to.equal(result.figures.accepted);
    });
  }
});
