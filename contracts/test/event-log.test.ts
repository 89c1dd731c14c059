import { expect } from 'chai';
import {
  ConfigError,
  EnvReader,
  EVENT_LOG_STREAM,
  EXCHANGES,
  bindingDeclarations,
  eventLogArguments,
  queueDeclarations,
  readEventLogRetention,
  sagaflowTopology,
  type SagaflowError,
  type EventLogRetention,
} from '../src/index.js';
import { explainFeatureFlagOff } from '../src/declare-failure.js';
import { createMessage, EventLogReader, type EventLogEntry, type EventLogStart } from '../src/messaging/index.js';
import { closeVhostConnections, eventually } from '../src/testing/index.js';
import { BusFixture } from './support/bus-fixture.js';

const RETENTION: EventLogRetention = { maxBytes: 5_000_000, maxAge: '2h' };

const retentionOf = (env: Record<string, string>): EventLogRetention | ConfigError => {
  const read = new EnvReader(env);
  const retention = readEventLogRetention(read);
  try {
    read.done();
  } catch (error) {
    return error as ConfigError;
  }
  return retention;
};

/** A saga event as the orchestrator publishes it, `at` the time it occurred. */
const sagaEvent = (version: number, at = new Date()) =>
  createMessage(
    'saga.changed',
    {
      sagaId: 'saga-1',
      type: 'order',
      status: 'RUNNING',
      state: 'reserveInventory',
      orderId: 'order-1',
      version,
      updatedAt: at.toISOString(),
      entries: [],
    },
    { sagaId: 'saga-1', occurredAt: at },
  );

describe('event log (the stream sagaflow.events.log)', () => {
  describe('topology and configuration', () => {
    it('is in the topology only when asked for, a stream bound to every event whatever QUEUE_TYPE says', () => {
      expect(queueDeclarations(sagaflowTopology()).map((q) => q.name)).to.not.include(EVENT_LOG_STREAM);
      for (const queueType of ['classic', 'quorum'] as const) {
        const topology = sagaflowTopology(undefined, queueType, undefined, { eventLog: RETENTION });
        expect(queueDeclarations(topology).find((q) => q.name === EVENT_LOG_STREAM)?.arguments).to.deep.equal({
          'x-queue-type': 'stream',
          'x-max-length-bytes': 5_000_000,
          'x-max-age': '2h',
          'x-stream-max-segment-size-bytes': 500_000,
        });
        expect(bindingDeclarations(topology).filter((b) => b.queue === EVENT_LOG_STREAM)).to.deep.equal([
          { exchange: EXCHANGES.events, queue: EVENT_LOG_STREAM, routingKey: '#' },
        ]);
      }
      // A segment is a tenth of the size limit, at most 100 MB.
      expect(eventLogArguments({ maxBytes: 50_000_000_000, maxAge: '7D' })).to.include({
        'x-stream-max-segment-size-bytes': 100_000_000,
      });
    });

    it('reads EVENT_LOG_MAX_BYTES and EVENT_LOG_MAX_AGE, defaults 1 GB and 7 days', () => {
      expect(retentionOf({})).to.deep.equal({ maxBytes: 1_000_000_000, maxAge: '7D' });
      expect(retentionOf({ EVENT_LOG_MAX_BYTES: '2000000', EVENT_LOG_MAX_AGE: '36h' })).to.deep.equal({
        maxBytes: 2_000_000,
        maxAge: '36h',
      });
    });

    it('names every bad retention variable at start', () => {
      for (const [env, words] of [
        [{ EVENT_LOG_MAX_AGE: '7 days' }, 'EVENT_LOG_MAX_AGE must be a whole number and one of the units'],
        [{ EVENT_LOG_MAX_AGE: '0D' }, 'EVENT_LOG_MAX_AGE'],
        [{ EVENT_LOG_MAX_AGE: '7d' }, "(got '7d')"],
        [{ EVENT_LOG_MAX_BYTES: '1000' }, 'EVENT_LOG_MAX_BYTES must be a whole number from 1000000'],
        [{ EVENT_LOG_MAX_BYTES: '1GB' }, 'EVENT_LOG_MAX_BYTES'],
      ] as const) {
        const error = retentionOf(env);
        expect(error, JSON.stringify(env)).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).message).to.contain(words);
      }
    });

    it('names the feature flag and the command that enables it when the broker has stream_queue off', () => {
      // What RabbitMQ 3.10 closes the connection with; a broker here cannot turn the flag off again.
      const closed = Object.assign(
        new Error(
          `Connection closed: 541 (INTERNAL-ERROR) with message "INTERNAL_ERROR - Cannot declare a queue 'queue '${EVENT_LOG_STREAM}' in vhost 'v'' of type 'rabbit_stream_queue' on node 'rabbit@h': the corresponding feature flag is disabled"`,
        ),
        { code: 541 },
      );
      const explained = explainFeatureFlagOff(closed);
      expect(explained).to.be.instanceOf(ConfigError);
      expect(explained!.message).to.contain('feature flag stream_queue off');
      expect(explained!.message).to.contain("'rabbitmqctl enable_feature_flag stream_queue'");
      expect(explainFeatureFlagOff(new Error('Channel ended, no reply will be forthcoming'))).to.equal(null);
    });
  });

  describe('on the real broker', function () {
    this.timeout(20_000);
    let fixture: BusFixture;

    beforeEach(async () => {
      fixture = await BusFixture.create('event-log');
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    it('refuses another retention on the existing stream in one line that says what to do', async () => {
      await fixture.bus({ topology: sagaflowTopology([50], 'classic', 0, { eventLog: RETENTION }) });
      const refused = await fixture
        .bus({ topology: sagaflowTopology([50], 'classic', 0, { eventLog: { ...RETENTION, maxAge: '1D' } }) })
        .then(
          () => expect.fail('connected'),
          (error: unknown) => error as ConfigError,
        );
      expect(refused).to.be.instanceOf(ConfigError);
      expect(refused.message).to.not.contain('\n');
      expect(refused.message).to.contain(`stream '${EVENT_LOG_STREAM}' exists on the broker with another retention`);
      expect(refused.message).to.contain("its 'x-max-age' is '2h', EVENT_LOG_MAX_AGE asks for '1D'");
      expect(refused.message).to.contain(`rabbitmqctl delete_queue -p '${fixture.vhost.name}' ${EVENT_LOG_STREAM}`);
      // The same retention again is no change.
      await fixture.bus({ topology: sagaflowTopology([50], 'classic', 0, { eventLog: RETENTION }) });
    });

    /** Reads until `count` entries came (deadline 5 s) and stops. */
    async function read(start: EventLogStart, count: number): Promise<EventLogEntry[]> {
      const entries: EventLogEntry[] = [];
      const invalid: unknown[] = [];
      const reader = await EventLogReader.open(fixture.vhost.url, {
        start,
        onEntry: (entry) => entries.push(entry),
        onInvalid: (entry) => invalid.push(entry),
      });
      try {
        await eventually(() => expect(entries.length + invalid.length).to.be.at.least(count), { timeoutMs: 5_000 });
      } finally {
        await reader.stop();
      }
      expect(invalid).to.deep.equal([]);
      return entries;
    }

    it('starts exactly at an offset (a chunk may begin before it) and at a time, skipping what occurred before', async () => {
      const bus = await fixture.bus({ topology: sagaflowTopology([50], 'classic', 0, { eventLog: RETENTION }) });
      const past = new Date(Date.now() - 30_000);
      const now = new Date();
      // Published together, so that the broker writes them as one chunk.
      await Promise.all([1, 2, 3].map((v) => bus.publish(sagaEvent(v, past))));
      await Promise.all([4, 5, 6].map((v) => bus.publish(sagaEvent(v, now))));

      const all = await read({ from: 'start' }, 6);
      expect(all.map((e) => (e.message.payload as { version: number }).version)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(all.map((e) => e.offset)).to.deep.equal([0, 1, 2, 3, 4, 5]);

      const fromOffset = await read({ from: 'offset', offset: 2 }, 4);
      expect(fromOffset.map((e) => e.offset)).to.deep.equal([2, 3, 4, 5]);

      const fromTime = await read({ from: 'time', at: now }, 3);
      expect(fromTime.map((e) => e.offset)).to.deep.equal([3, 4, 5]);
    });

    it('ends the read when the connection is lost, naming the last offset handed over', async () => {
      const bus = await fixture.bus({ topology: sagaflowTopology([50], 'classic', 0, { eventLog: RETENTION }) });
      await Promise.all([1, 2].map((v) => bus.publish(sagaEvent(v))));
      const entries: EventLogEntry[] = [];
      const reader = await EventLogReader.open(fixture.vhost.url, {
        start: { from: 'start' },
        onEntry: (entry) => entries.push(entry),
        onInvalid: () => expect.fail('an invalid entry'),
      });
      try {
        await eventually(() => expect(entries).to.have.length(2));
        await closeVhostConnections(fixture.vhost.name, { atLeast: 2 });
        const ended = await reader.ended.then(
          () => expect.fail('the read ended as if stopped'),
          (error: SagaflowError) => error,
        );
        expect(ended).to.have.property('type', 'event_log_lost');
        expect(ended.message).to.contain('ended after offset 1: the connection to the broker closed');
        expect(reader.offset).to.equal(1);
      } finally {
        await reader.stop();
      }
    });

    it('reports an entry that is no valid event instead of dropping it', async () => {
      await fixture.bus({ topology: sagaflowTopology([50], 'classic', 0, { eventLog: RETENTION }) });
      const channel = await fixture.channel();
      channel.publish(EXCHANGES.events, 'saga.order.running', Buffer.from('{not json'));
      const invalid: { offset: number; reason: string }[] = [];
      const reader = await EventLogReader.open(fixture.vhost.url, {
        start: { from: 'start' },
        onEntry: () => expect.fail('an invalid entry was handed over as an event'),
        onInvalid: (entry) => invalid.push(entry),
      });
      try {
        await eventually(() => expect(invalid).to.have.length(1));
      } finally {
        await reader.stop();
      }
      expect(invalid[0]).to.include({ offset: 0, reason: 'unparsable' });
    });
  });
});
