import { expect } from 'chai';
import {
  bindingDeclarations,
  ConfigError,
  declareTopology,
  deadLetterQueues,
  dlqOf,
  EXCHANGES,
  EXPRESS_PRIORITY,
  expressQueueOf,
  lanesOf,
  MAX_PRIORITY,
  QUEUES,
  QUORUM_DELIVERY_LIMIT,
  pickRetryQueue,
  queueDeclarations,
  RETRY_BUCKETS,
  retryBucketsOf,
  retryQueueDelaysOf,
  retryQueueOf,
  sagaflowTopology,
  SagaflowError,
  validateTopology,
  type Topology,
} from '../src/index.js';
import { explainDeclareFailure } from '../src/declare-failure.js';
import { BusFixture } from './support/bus-fixture.js';

const argumentsOf = (topology: Topology, name: string) =>
  queueDeclarations(topology).find((q) => q.name === name)!.arguments;

/** An error as amqplib reports a declaration the broker refused. */
const refusal = (queue: string, argument: string, received: string, current: string) =>
  Object.assign(
    new Error(
      `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg '${argument}' for queue '${queue}' in vhost 'v': received ${received} but current is ${current}"`,
    ),
    { code: 406 },
  );

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

    it('takes a queue type of classic or quorum only', () => {
      expect(validateTopology({ ...minimal(), queueType: 'quorum' }).queueType).to.equal('quorum');
      rejection({ ...minimal(), queueType: 'mirrored' });
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
      for (const retryJitter of [-0.1, 0.95, Number.NaN]) {
        const badJitter = minimal();
        badJitter.queues[0]!.retryJitter = retryJitter;
        rejection(badJitter);
      }
    });
  });

  describe('retry jitter', () => {
    it('spreads a delay over five whole-millisecond buckets within d·(1 ± j), and none without jitter', () => {
      expect(RETRY_BUCKETS).to.equal(5);
      expect(retryBucketsOf(1_000, 0.2)).to.deep.equal([800, 900, 1_000, 1_100, 1_200]);
      expect(retryBucketsOf(30_000, 0.1)).to.deep.equal([27_000, 28_500, 30_000, 31_500, 33_000]);
      expect(retryBucketsOf(50, 0.2)).to.deep.equal([40, 45, 50, 55, 60]);
      expect(retryBucketsOf(1_000, 0)).to.deep.equal([1_000]);
      // Rounding makes some equal: each delay once, never below 1 ms.
      expect(retryBucketsOf(3, 0.2)).to.deep.equal([2, 3, 4]);
      expect(retryBucketsOf(1, 0.9)).to.deep.equal([1, 2]);
    });

    it('declares one TTL queue per bucket, each once where the buckets of two delays meet', () => {
      const topology = sagaflowTopology([900, 1_000], 'classic', 0.2);
      const payment = topology.queues.find((q) => q.name === QUEUES.payment)!;
      expect(payment.retryJitter).to.equal(0.2);
      expect(retryQueueDelaysOf(payment)).to.deep.equal([720, 800, 810, 900, 990, 1_000, 1_080, 1_100, 1_200]);
      const retryQueues = queueDeclarations(topology).filter((q) => q.name.startsWith(`${QUEUES.payment}.retry.`));
      expect(retryQueues.map((q) => q.name)).to.deep.equal(
        retryQueueDelaysOf(payment).map((d) => retryQueueOf(QUEUES.payment, d)),
      );
      for (const q of retryQueues) expect(q.arguments['x-message-ttl']).to.equal(Number(q.name.split('.').pop()));
      const plain = sagaflowTopology([900, 1_000], 'classic', 0);
      expect(queueDeclarations(plain).filter((q) => q.name.startsWith(`${QUEUES.payment}.retry.`))).to.have.length(2);
    });

    it('picks the bucket of a retry at random, every one about equally often', () => {
      const topology = sagaflowTopology([1_000], 'classic', 0.2);
      const [payment] = lanesOf(
        topology,
        topology.queues.find((q) => q.name === QUEUES.payment)!,
      );
      expect(pickRetryQueue(payment!, 1_000, () => 0)).to.deep.equal({
        name: retryQueueOf(QUEUES.payment, 800),
        delayMs: 800,
      });
      expect(pickRetryQueue(payment!, 1_000, () => 0.5).delayMs).to.equal(1_000);
      expect(pickRetryQueue(payment!, 1_000, () => 0.999_999).delayMs).to.equal(1_200);
      const picks = new Map<number, number>();
      for (let i = 0; i < 5_000; i++) {
        const { delayMs } = pickRetryQueue(payment!, 1_000);
        picks.set(delayMs, (picks.get(delayMs) ?? 0) + 1);
      }
      expect([...picks.keys()].sort((a, b) => a - b)).to.deep.equal([800, 900, 1_000, 1_100, 1_200]);
      // 1,000 expected each; 800..1,200 is over 7 standard deviations wide.
      for (const [delay, count] of picks) expect(count, `${delay} ms`).to.be.within(800, 1_200);
      const plain = { queue: QUEUES.payment, retryJitter: 0 };
      expect(pickRetryQueue(plain, 1_000, () => 0.9).name).to.equal(retryQueueOf(QUEUES.payment, 1_000));
    });
  });

  describe('queue declarations', () => {
    it('declares classic queues with the arguments they always had, command queues with priorities', () => {
      const topology = sagaflowTopology([100]);
      expect(argumentsOf(topology, QUEUES.payment)).to.deep.equal({
        'x-max-priority': MAX_PRIORITY,
        'x-dead-letter-exchange': EXCHANGES.deadLetter,
        'x-dead-letter-routing-key': QUEUES.payment,
      });
      expect(argumentsOf(topology, QUEUES.replies)).to.deep.equal({
        'x-dead-letter-exchange': EXCHANGES.deadLetter,
        'x-dead-letter-routing-key': QUEUES.replies,
      });
      expect(argumentsOf(topology, dlqOf(QUEUES.payment))).to.deep.equal({});
      expect(argumentsOf(topology, retryQueueOf(QUEUES.payment, 100))).to.deep.equal({
        'x-message-ttl': 100,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': QUEUES.payment,
      });
    });

    it('declares quorum queues that dead-letter at least once, with a delivery limit on work queues', () => {
      const topology = sagaflowTopology([100], 'quorum');
      const atLeastOnce = {
        'x-queue-type': 'quorum',
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      };
      expect(argumentsOf(topology, QUEUES.payment)).to.deep.equal({
        ...atLeastOnce,
        'x-delivery-limit': QUORUM_DELIVERY_LIMIT,
        'x-dead-letter-exchange': EXCHANGES.deadLetter,
        'x-dead-letter-routing-key': QUEUES.payment,
      });
      expect(argumentsOf(topology, dlqOf(QUEUES.payment))).to.deep.equal({ 'x-queue-type': 'quorum' });
      expect(argumentsOf(topology, retryQueueOf(QUEUES.payment, 100))).to.deep.equal({
        ...atLeastOnce,
        'x-message-ttl': 100,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': QUEUES.payment,
      });
      for (const q of queueDeclarations(topology)) expect(q.arguments['x-queue-type'], q.name).to.equal('quorum');
      expect(JSON.stringify(queueDeclarations(topology))).to.not.contain('x-max-priority');
    });

    it('marks every participant command queue as a priority queue, and no other', () => {
      const topology = sagaflowTopology();
      const priority = topology.queues.filter((q) => q.priority).map((q) => q.name);
      expect(priority).to.have.members([QUEUES.inventory, QUEUES.payment, QUEUES.notification]);
      expect(EXPRESS_PRIORITY).to.be.within(1, MAX_PRIORITY);
    });

    it('binds a classic priority queue with its routing keys and their express keys', () => {
      const topology = sagaflowTopology([100]);
      const bound = bindingDeclarations(topology).filter((b) => b.queue === QUEUES.payment);
      expect(bound.map((b) => b.routingKey)).to.have.members([
        'payment.charge',
        'payment.refund',
        'payment.charge.express',
        'payment.refund.express',
      ]);
      expect(queueDeclarations(topology).map((q) => q.name)).to.not.include(expressQueueOf(QUEUES.payment));
    });

    it('gives a quorum priority queue an express queue with its own retries, dead-lettering into the same DLQ', () => {
      const topology = sagaflowTopology([100], 'quorum');
      const express = expressQueueOf(QUEUES.payment);
      expect(argumentsOf(topology, express)).to.deep.equal(argumentsOf(topology, QUEUES.payment));
      expect(argumentsOf(topology, express)['x-dead-letter-routing-key']).to.equal(QUEUES.payment);
      expect(argumentsOf(topology, retryQueueOf(express, 100))).to.include({
        'x-message-ttl': 100,
        'x-dead-letter-routing-key': express,
      });
      const names = queueDeclarations(topology).map((q) => q.name);
      expect(names).to.not.include(dlqOf(express));
      expect(new Set(names).size, 'no queue declared twice').to.equal(names.length);
      const keysOf = (queue: string) =>
        bindingDeclarations(topology)
          .filter((b) => b.queue === queue && b.exchange === EXCHANGES.commands)
          .map((b) => b.routingKey);
      expect(keysOf(QUEUES.payment)).to.have.members(['payment.charge', 'payment.refund']);
      expect(keysOf(express)).to.have.members(['payment.charge.express', 'payment.refund.express']);
      expect(deadLetterQueues(topology)).to.not.include(dlqOf(express));
    });

    it('derives the priority handling from the flag alone, for any work queue', () => {
      // Such as the per-currency payment queues: a work queue built elsewhere gets it from its data.
      const topology = sagaflowTopology([100]);
      const perCurrency = {
        name: 'payment.commands.eur',
        bindings: [{ exchange: EXCHANGES.commands, routingKey: 'payment.charge.eur' }],
        retryDelaysMs: [100],
        priority: true,
      };
      for (const queueType of ['classic', 'quorum'] as const) {
        const t = validateTopology({ ...topology, queueType, queues: [...topology.queues, perCurrency] });
        const lanes = lanesOf(t, perCurrency);
        const keys = lanes.flatMap((l) => l.bindings.map((b) => `${l.queue} ${b.routingKey}`));
        if (queueType === 'classic') {
          expect(lanes.map((l) => l.maxPriority)).to.deep.equal([MAX_PRIORITY]);
          expect(keys).to.deep.equal([
            'payment.commands.eur payment.charge.eur',
            'payment.commands.eur payment.charge.eur.express',
          ]);
        } else {
          expect(keys).to.deep.equal([
            'payment.commands.eur payment.charge.eur',
            'payment.commands.eur.express payment.charge.eur.express',
          ]);
        }
      }
      const plain = { ...perCurrency, priority: undefined };
      expect(lanesOf(topology, plain)).to.deep.equal([
        { queue: plain.name, workQueue: plain.name, bindings: plain.bindings, retryDelaysMs: [100] },
      ]);
    });

    it("rejects a queue named like another priority queue's express queue", () => {
      const topology = sagaflowTopology([100], 'quorum');
      const clash = { name: expressQueueOf(QUEUES.payment), bindings: [], retryDelaysMs: [] };
      expect(() => validateTopology({ ...topology, queues: [...topology.queues, clash] })).to.throw(
        SagaflowError,
        /express queue has the name of another queue/,
      );
    });

    it('explains a command queue declared without priorities in one line saying what to do', () => {
      const explained = (received: string, current: string) =>
        explainDeclareFailure(
          refusal('payment.commands', 'x-max-priority', received, current),
          'payment.commands',
          'classic',
        ) as ConfigError;
      const old = explained("the value '2' of type 'byte'", 'none');
      expect(old).to.be.instanceOf(ConfigError);
      expect(old.message).to.contain("queue 'payment.commands' exists on the broker without priorities");
      expect(old.message).to.contain('delete it (rabbitmqctl delete_queue payment.commands');
      expect(explained('none', "the value '2' of type 'byte'").message).to.contain(
        'with priorities (x-max-priority 2), as a newer version declares it',
      );
      expect(explained("'2'", "'5'").message).to.contain('with x-max-priority 5 where this version declares 2');
    });

    it('explains a queue of the other type in one line saying what to do', () => {
      const toQuorum = explainDeclareFailure(
        refusal('payment.commands', 'x-queue-type', "the value 'quorum' of type 'longstr'", 'none'),
        'payment.commands',
        'quorum',
      ) as ConfigError;
      expect(toQuorum).to.be.instanceOf(ConfigError);
      expect(toQuorum.message).to.contain(
        "queue 'payment.commands' exists on the broker as a classic queue but QUEUE_TYPE=quorum",
      );
      expect(toQuorum.message).to.contain('start with QUEUE_TYPE=classic');
      const toClassic = explainDeclareFailure(
        refusal('payment.commands', 'x-queue-type', 'none', "the value 'quorum' of type 'longstr'"),
        'payment.commands',
        'classic',
      ) as ConfigError;
      expect(toClassic.message).to.contain('as a quorum queue but QUEUE_TYPE=classic');
      const other = explainDeclareFailure(
        refusal('jobs.retry.100', 'x-message-ttl', "the value '100' of type 'long'", "the value '200' of type 'long'"),
        'jobs.retry.100',
        'quorum',
      ) as ConfigError;
      expect(other.message).to.contain("its 'x-message-ttl' is the value '200'");
      const unrelated = new Error('socket closed');
      expect(explainDeclareFailure(unrelated, 'jobs', 'quorum')).to.equal(unrelated);
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

    it('refuses at once to connect where a command queue was declared without priorities, saying what to do', async () => {
      const channel = await fixture.channel();
      await channel.assertQueue(QUEUES.payment, {
        durable: true,
        arguments: { 'x-dead-letter-exchange': EXCHANGES.deadLetter, 'x-dead-letter-routing-key': QUEUES.payment },
      });
      const refused = await fixture.bus({ topology: sagaflowTopology([50, 100]) }).then(
        () => expect.fail('connected'),
        (error: unknown) => error as ConfigError,
      );
      expect(refused).to.be.instanceOf(ConfigError);
      expect(refused.message).to.not.contain('\n');
      expect(refused.message).to.contain(`queue '${QUEUES.payment}' exists on the broker without priorities`);
    });

    it('declares the quorum topology twice on one channel and from two buses', async () => {
      const topology = sagaflowTopology([50, 100], 'quorum');
      const channel = await fixture.channel();
      await declareTopology(channel, topology);
      await declareTopology(channel, topology);
      const first = await fixture.bus({ topology });
      const second = await fixture.bus({ topology });
      expect(first.connected && second.connected).to.equal(true);
      await channel.checkQueue(retryQueueOf(QUEUES.payment, 100));
    });

    for (const [existing, wanted] of [
      ['classic', 'quorum'],
      ['quorum', 'classic'],
    ] as const) {
      it(`refuses at once to connect with QUEUE_TYPE=${wanted} where the queues are ${existing}, saying what to do`, async () => {
        await fixture.bus({ topology: sagaflowTopology([50, 100], existing) });
        const began = Date.now();
        const refused = await fixture.bus({ topology: sagaflowTopology([50, 100], wanted) }).then(
          () => expect.fail('connected'),
          (error: unknown) => error as ConfigError,
        );
        expect(Date.now() - began, 'no wait for the connect timeout').to.be.below(5_000);
        expect(refused).to.be.instanceOf(ConfigError);
        expect(refused.message).to.not.contain('\n');
        expect(refused.message).to.contain(`as a ${existing} queue but QUEUE_TYPE=${wanted}`);
      });
    }
  });
});
