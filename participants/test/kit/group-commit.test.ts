import { expect } from 'chai';
import { commandQueueOf, HEADERS, QUEUES, sagaflowTopology, type Message } from '@sagaflow/contracts';
import { createMessage, MessageBus, silentLogger } from '@sagaflow/contracts/messaging';
import {
  createTestSchema,
  createTestVhost,
  eventually,
  type TestSchema,
  type TestVhost,
} from '@sagaflow/contracts/testing';
import { afterCommit } from '../../src/kit/after-commit.js';
import { FaultInjector } from '../../src/kit/faults.js';
import { success } from '../../src/kit/inbox.js';
import { ParticipantMetrics } from '../../src/kit/metrics.js';
import { Participant } from '../../src/kit/participant.js';
import { findPgReply, INBOX_DDL, PgDatabase, runOncePg } from '../../src/kit/pg-database.js';
import { PgGroupCommit } from '../../src/kit/pg-group-commit.js';
import { deadLettersOf } from '../support/dead-letters.js';
import { newId, TEST_RETRY_DELAYS_MS } from '../support/harness.js';

const SERVICE = 'payment';
const QUEUE = commandQueueOf(SERVICE);
const BAD_ORDER = 'order-that-breaks-the-transaction';

/**
 * The kit's group commit on the real broker and database: a charge handler whose effect writes a row
 * per command (and breaks its transaction for one order), under a Participant whose commands were all
 * queued before it started, so that the broker delivers them at once.
 */
describe('group commit of the commands delivered together (PostgreSQL)', () => {
  let vhost: TestVhost;
  let schema: TestSchema;
  let db: PgDatabase;
  let bus: MessageBus;
  let participant: Participant;
  const replies: Message[] = [];
  const committedWork: string[] = [];

  beforeEach(async () => {
    replies.length = 0;
    committedWork.length = 0;
    vhost = await createTestVhost('participants');
    schema = await createTestSchema('participants');
    db = await PgDatabase.open(schema.url, {
      migrations: [
        INBOX_DDL,
        'CREATE TABLE effects (id bigserial PRIMARY KEY, command_id text NOT NULL, order_id text NOT NULL)',
      ],
    });
    bus = await MessageBus.connect({
      url: vhost.url,
      topology: sagaflowTopology(TEST_RETRY_DELAYS_MS),
      logger: silentLogger(),
    });
    await bus.consume(QUEUES.replies, async (m) => {
      replies.push(m);
    });
    participant = new Participant({
      service: SERVICE,
      bus,
      queues: [QUEUE],
      inbox: { findReply: (id) => findPgReply(db, SERVICE, id), groupCommit: new PgGroupCommit(db, SERVICE) },
      faults: new FaultInjector(),
      metrics: new ParticipantMetrics(SERVICE),
      logger: silentLogger(),
      prefetch: 64,
      handlers: {
        'payment.charge': async (command) => {
          const key = { commandId: command.commandId!, commandType: command.type };
          const execution = await runOncePg(db, SERVICE, key, async (client) => {
            await client.query('INSERT INTO effects (command_id, order_id) VALUES ($1, $2)', [
              key.commandId,
              command.payload.orderId,
            ]);
            if (command.payload.orderId === BAD_ORDER) await client.query('SELECT 1 / 0');
            const { amountCents, currency, orderId } = command.payload;
            return {
              execution: { reply: success({ paymentId: `pay-${orderId}`, amountCents, currency }), duplicate: false },
            };
          });
          await afterCommit(() => {
            committedWork.push(key.commandId);
          });
          return execution;
        },
      },
    });
  });

  afterEach(async () => {
    await participant.stop();
    await bus.stop();
    await db.close();
    await vhost.delete();
    await schema.drop();
  });

  const charge = (orderId: string, commandId = newId('cmd')) =>
    createMessage(
      'payment.charge',
      { orderId, customerId: 'cust-1', amountCents: 100, currency: 'EUR', method: 'card', token: 'tok_visa' },
      { sagaId: newId('saga'), commandId },
    );

  /** Transactions that wrote inbox rows: the rows one transaction inserts share its id (xmin). */
  const inboxTransactions = async () =>
    Number((await db.pool.query('SELECT count(DISTINCT xmin::text) AS n FROM participant_inbox')).rows[0].n);

  const repliesTo = (command: Message) => replies.filter((r) => r.commandId === command.commandId);

  it('commits many commands in a few transactions and answers each with its own reply', async () => {
    const commands = Array.from({ length: 40 }, (_, i) => charge(newId(`order-${i}`)));
    // A twin delivered in the same batch, and a command answered before: both from the first reply.
    const twin = charge(commands[0]!.payload.orderId, commands[0]!.commandId!);
    const answered = charge(newId('order-early'));
    await bus.publish(answered);
    await participant.start();
    await eventually(() => expect(repliesTo(answered)).to.have.length(1));
    await participant.stop();
    const again = charge(answered.payload.orderId, answered.commandId!);
    for (const command of [...commands, twin, again]) await bus.publish(command);

    await participant.start();
    await eventually(() => expect(replies).to.have.length(commands.length + 3));

    for (const command of commands) {
      const [reply, ...more] = repliesTo(command === commands[0] ? twin : command);
      expect(reply!.payload).to.deep.include({ outcome: 'success' });
      expect(reply!.payload).to.have.nested.property('result.paymentId', `pay-${command.payload.orderId}`);
      if (command === commands[0]) expect(more.map((r) => r.payload)).to.deep.equal([reply!.payload]);
    }
    const [first, second] = repliesTo(again);
    expect(second!.payload).to.deep.equal(first!.payload);
    // Each effect committed once (a batch that rolled back and ran again left nothing behind).
    const { rows } = await db.pool.query<{ command_id: string }>('SELECT command_id FROM effects');
    expect(rows.map((r) => r.command_id)).to.have.members([answered, ...commands].map((c) => c.commandId));
    // 41 commands ran: the early one alone, the 40 others in far fewer transactions than 40.
    expect(await inboxTransactions()).to.be.at.most(1 + commands.length / 4);
    expect(committedWork).to.have.members([answered, ...commands].map((c) => c.commandId));
  });

  it('answers the others of a batch whose transaction one command breaks, and dead-letters only that one', async () => {
    const good = Array.from({ length: 20 }, (_, i) => charge(newId(`order-${i}`)));
    const bad = charge(BAD_ORDER);
    for (const command of [...good.slice(0, 10), bad, ...good.slice(10)]) await bus.publish(command);

    await participant.start();
    await eventually(() => expect(replies).to.have.length(good.length));
    const dead = await eventually(async () => {
      const letters = await deadLettersOf(vhost.name, QUEUE);
      expect(letters).to.have.length(1);
      return letters[0]!;
    });
    expect(JSON.parse(dead.payload)).to.include({ commandId: bad.commandId });
    expect(dead.headers[HEADERS.reason]).to.equal('retries_exhausted');

    for (const command of good) {
      expect(repliesTo(command)).to.have.length(1);
      expect(repliesTo(command)[0]!.payload).to.have.nested.property(
        'result.paymentId',
        `pay-${command.payload.orderId}`,
      );
    }
    expect(repliesTo(bad)).to.deep.equal([]);
    // The rolled-back batch wrote nothing: one effect per good command, none for the bad one.
    const { rows } = await db.pool.query<{ command_id: string }>('SELECT command_id FROM effects');
    expect(rows.map((r) => r.command_id)).to.have.members(good.map((c) => c.commandId));
    expect(await findPgReply(db, SERVICE, bad.commandId!)).to.equal(null);
    // Work left for after the commit ran once per committed command, never for the rolled-back attempt.
    expect(committedWork).to.have.members(good.map((c) => c.commandId));
  });
});
