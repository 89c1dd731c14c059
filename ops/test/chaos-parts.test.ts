import { expect } from 'chai';
import { FAULTS, faultsNamed } from '../chaos/fault-list.js';
import { sumOfCounter } from '../chaos/service-counters.js';
import { intentOf } from '../chaos/order-load.js';
import { PlannedExitBook } from '../chaos/planned-exits.js';

describe('chaos suite parts', () => {
  it('sums every series of a counter and no other metric that shares its prefix', () => {
    const exposition = [
      '# HELP sagaflow_replies_ignored_total Replies absorbed',
      '# TYPE sagaflow_replies_ignored_total counter',
      'sagaflow_replies_ignored_total{type="payment.charged"} 3',
      'sagaflow_replies_ignored_total{type="inventory.reserved"} 4',
      'sagaflow_replies_ignored_total_created 1700000000',
    ].join('\n');
    expect(sumOfCounter(exposition, 'sagaflow_replies_ignored_total')).to.equal(7);
    expect(sumOfCounter(exposition, 'sagaflow_absent_total')).to.equal(0);
  });

  it('picks faults by name in the suite order and names an unknown one', () => {
    expect(faultsNamed('broker-gone,orchestrator-kill').map((f) => f.name)).to.deep.equal([
      'orchestrator-kill',
      'broker-gone',
    ]);
    expect(faultsNamed(undefined)).to.have.length(FAULTS.length);
    expect(() => faultsNamed('orchestrator-kill,disk-full')).to.throw(/unknown fault disk-full/);
  });

  it('mixes one declined and one cancelled-after-confirm order into every ten', () => {
    const intents = Array.from({ length: 10 }, (_, i) => intentOf(i));
    expect(intents.filter((i) => i === 'decline')).to.have.length(1);
    expect(intents.filter((i) => i === 'cancel-after-confirm')).to.have.length(1);
  });

  it('counts an exit as planned once per announcement, for that service only, and gives up on one that never comes', async () => {
    const book = new PlannedExitBook();
    expect(book.take('payment'), 'nothing announced').to.equal(false);
    const exited = book.exitOf('payment', 5_000);
    expect(book.take('inventory'), 'another service').to.equal(false);
    expect(book.take('payment')).to.equal(true);
    await exited;
    expect(book.take('payment'), 'the announcement is used up').to.equal(false);
    const late = book.exitOf('notification', 20);
    await late.then(
      () => expect.fail('resolved without an exit'),
      (error: Error) => expect(error.message).to.match(/notification did not exit within 20 ms/),
    );
    expect(book.take('notification'), 'no longer expected once given up').to.equal(false);
  });
});
