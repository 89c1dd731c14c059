import { expect } from 'chai';
import { SagaflowError } from '../src/index.js';
import { diffJson, editDeadLetter, editMessage, parseAssignment } from '../src/messaging/index.js';
import { chargeCommand, eventually, FailingPaymentQueue } from '../src/testing/index.js';

const refusal = async (work: () => unknown): Promise<SagaflowError> => {
  try {
    await work();
  } catch (error) {
    expect(error).to.be.instanceOf(SagaflowError);
    return error as SagaflowError;
  }
  throw new Error('expected a refusal');
};

describe('dead-letter edit: the pure part', () => {
  const body = chargeCommand({ sagaId: 's-pure', orderId: 'o-pure' });

  it('reads --set values as JSON when they are JSON, as text otherwise', () => {
    expect(parseAssignment('payload.amountCents=1500')).to.deep.equal({ path: 'payload.amountCents', value: 1500 });
    expect(parseAssignment('payload.token=tok_visa')).to.deep.equal({ path: 'payload.token', value: 'tok_visa' });
    expect(parseAssignment('a.b={"c":[1]}')).to.deep.equal({ path: 'a.b', value: { c: [1] } });
  });

  it('applies values at paths and lists what changed, old and new', () => {
    const { message, changes } = editMessage(body, {
      set: [
        { path: 'payload.amountCents', value: 1500 },
        { path: 'payload.token', value: 'tok_visa' },
      ],
    });
    expect((message as typeof body).payload.amountCents).to.equal(1500);
    expect(changes).to.deep.equal([
      { path: 'payload.amountCents', from: 1200, to: 1500 },
      { path: 'payload.token', from: 'tok_ok', to: 'tok_visa' },
    ]);
    expect(body.payload.amountCents, 'the original is left alone').to.equal(1200);
  });

  it('refuses a result that breaks the schema, with the reason', async () => {
    const error = await refusal(() => editMessage(body, { set: [{ path: 'payload.amountCents', value: 'lots' }] }));
    expect(error.type).to.equal('invalid_edit');
    expect(error.message).to.include('invalid_payload').and.include('amountCents');
    expect((await refusal(() => editMessage(body, { set: [{ path: 'payload.extra', value: 1 }] }))).message).to.include(
      "unknown field 'extra'",
    );
  });

  it('refuses to touch what identifies the message and its command', async () => {
    const error = await refusal(() => editMessage(body, { replace: { ...body, commandId: 'other' } }));
    expect(error.message).to.include('commandId cannot be edited');
    expect((await refusal(() => editMessage(body, { set: [{ path: '__proto__.x', value: 1 }] }))).type).to.equal(
      'invalid_edit',
    );
  });

  it('diffs added, removed and changed leaves, arrays by index', () => {
    expect(diffJson({ a: 1, b: [1, 2], c: 'x' }, { a: 1, b: [1, 3], d: true })).to.deep.equal([
      { path: 'b.1', from: 2, to: 3 },
      { path: 'c', from: 'x' },
      { path: 'd', to: true },
    ]);
  });
});

describe('dead-letter edit on a real broker', () => {
  let queue: FailingPaymentQueue;

  before(async () => {
    queue = await FailingPaymentQueue.start('dl-edit');
  });

  after(async () => {
    await queue?.stop();
  });

  it('republishes the edited message to its original route with confirm, and only then removes it', async () => {
    const [target, bystander] = [chargeCommand({ sagaId: 's-edit' }), chargeCommand({ sagaId: 's-stay' })];
    await queue.deadLetter(target, bystander);
    queue.failing = false;

    const dry = await editDeadLetter(
      queue.vhost.url,
      queue.topology,
      target.messageId,
      {
        set: [{ path: 'payload.token', value: 'tok_visa' }],
      },
      { dryRun: true },
    );
    expect(dry).to.include({ dryRun: true, replayed: false });
    expect(await queue.depth()).to.equal(2);

    const done = await editDeadLetter(queue.vhost.url, queue.topology, target.messageId, {
      set: [{ path: 'payload.token', value: 'tok_visa' }],
    });
    expect(done).to.include({ replayed: true, dryRun: false });
    expect(done!.deadLetter).to.include({
      queue: FailingPaymentQueue.DLQ,
      sagaId: 's-edit',
      routingKey: 'payment.charge',
    });
    expect(done!.changes).to.deep.equal([{ path: 'payload.token', from: 'tok_ok', to: 'tok_visa' }]);

    const handled = await eventually(() => {
      const found = queue.handled.find((h) => h.message.messageId === target.messageId);
      expect(found).to.not.equal(undefined);
      return found!;
    });
    expect((handled.message.payload as { token: string }).token).to.equal('tok_visa');
    expect(handled.message.commandId).to.equal(target.commandId);
    expect(await queue.depth()).to.equal(1); // the bystander stays
  });

  it('leaves the dead letter where it was when the edit is refused, and answers null for an unknown id', async () => {
    queue.failing = true;
    const message = chargeCommand({ sagaId: 's-refused' });
    await queue.deadLetter(message);
    const before = await queue.depth();
    const error = await refusal(() =>
      editDeadLetter(queue.vhost.url, queue.topology, message.messageId, {
        set: [{ path: 'payload.currency', value: 'euro' }],
      }),
    );
    expect(error.type).to.equal('invalid_edit');
    expect(await queue.depth()).to.equal(before);
    expect(await editDeadLetter(queue.vhost.url, queue.topology, 'no-such-message', { set: [] })).to.equal(null);
  });
});
