import { expect } from 'chai';
import {
  declareTopology,
  deadLetterQueues,
  EXCHANGES,
  QUEUES,
  retryQueueOf,
  sagaflowTopology,
  SagaflowError,
  validateTopology,
  type Topology,
} from '../src/index.js';
import { BusFixture } from './support/bus-fixture.js';

const minimal = (): Topology => ({
  exchanges: [
    { name: 'work', type: 'direct' },
    { name: 'dlx', type: 'direct' },
  ],
  deadLetterExchange: 'dlx',
  queues: [{ name: 'jobs', bindings: [{ exchange: 'work', routingKey: 'job' }], retryDelaysMs: [10] }],
});

const rejection = (topology: unknown): SagaflowError => {
  try {
    validateTopology(topology);
  } catch (error) {
    expect(error).to.be.instanceOf(SagaflowError);
    expect(error).to.have.property('type', 'invalid_topology');
    return error as SagaflowError;
  }
  return expect.fail('the topology was accepted');
};

describe('topology', () => {
  describe('validateTopology', () => {
    it('accepts Sagaflow topology', () => {
      const topology = sagaflowTopology([100]);
      expect(topology.exchanges.map((e) => e.name)).to.have.members(Object.values(EXCHANGES));
      expect(deadLetterQueues(topology)).to.include(`${QUEUES.payment}.dlq`);
    });

    it('rejects unknown keys at every level', () => {
      expect(rejection({ ...minimal(), policies: {} }).message).to.contain("unknown field 'policies'");
      const t1 = minimal();
      Object.assign(t1.exchanges[0]!, { autoDelete: true });
      expect(rejection(t1).message).to.contain("unknown field 'autoDelete'");
      const t2 = minimal();
      Object.assign(t2.queues[0]!, { retries: 3 });
      expect(rejection(t2).message).to.contain("unknown field 'retries'");
      const t3 = minimal();
      Object.assign(t3.queues[0]!.bindings[0]!, { args: {} });
      expect(rejection(t3).message).to.contain("unknown field 'args'");
    });

    it('rejects bindings to undeclared exchanges', () => {
      const topology = minimal();
      topology.queues[0]!.bindings.push({ exchange: 'elsewhere', routingKey: 'x' });
      expect(rejection(topology).message).to.contain("binds to undeclared exchange 'elsewhere'");
    });

    it('rejects an undeclared dead-letter exchange, duplicate names and bad types', () => {
      expect(rejection({ ...minimal(), deadLetterExchange: 'nowhere' }).message).to.contain("'nowhere'");
      const dup = minimal();
      dup.exchanges.push({ name: 'work', type: 'topic' });
      expect(rejection(dup).message).to.contain('duplicate exchange');
      const dupQueue = minimal();
      dupQueue.queues.push({ ...dupQueue.queues[0]! });
      expect(rejection(dupQueue).message).to.contain('duplicate queue');
      rejection({ ...minimal(), exchanges: [{ name: 'work', type: 'headers' }] });
      const badDelay = minimal();
      badDelay.queues[0]!.retryDelaysMs = [0];
      rejection(badDelay);
    });
  });

  describe('declaring on the broker', () => {
    let fixture: BusFixture;

    beforeEach(async () => {
      fixture = await BusFixture.create('topology');
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    it('declares the same topology twice on one channel and from two buses', async () => {
      const topology = sagaflowTopology([50, 100]);
      const channel = await fixture.channel();
      await declareTopology(channel, topology);
      await declareTopology(channel, topology);
      const first = await fixture.bus({ topology });
      const second = await fixture.bus({ topology });
      expect(first.connected && second.connected).to.equal(true);
      for (const queue of [QUEUES.payment, `${QUEUES.payment}.dlq`, retryQueueOf(QUEUES.payment, 100)]) {
        await channel.checkQueue(queue);
      }
      // The raw channel survived every declaration (a mismatch would have closed it).
      await channel.checkExchange(EXCHANGES.deadLetter);
    });
  });
});
