import { expect } from 'chai';
import { RunningSaga } from '../../src/engine/running-saga.js';
import { orderSagaV1 } from '../../src/sagas/order-saga.js';
import type { ReplyPayload, SagaContextBase, SagaEvent } from '../../src/sagas/saga-protocol.js';
import { charge, failure, notified, orderInput, released, reservation, success } from '../sagas/saga-driver.js';

type Answer = ReplyPayload | 'TIMEOUT';

/**
 * Drives one machine kept running and, beside it, a machine restored from the JSON of the previous
 * persisted snapshot at every step (what the engine did for every event before machines were kept):
 * both must persist the same snapshot and emit the same commands at every step.
 */
function compareAlong(answers: Answer[]): void {
  const kept = new RunningSaga(orderSagaV1, { input: orderInput() });
  let step = kept.step()!;
  let persisted = JSON.parse(JSON.stringify(step.snapshot)) as unknown;
  for (const [i, answer] of answers.entries()) {
    const awaiting = (persisted as { context: SagaContextBase }).context.awaiting!;
    const event: SagaEvent =
      answer === 'TIMEOUT'
        ? { type: 'TIMEOUT' }
        : { type: 'REPLY', commandId: awaiting.command.commandId, reply: answer };
    const restored = new RunningSaga(orderSagaV1, { snapshot: persisted });
    const fromRestored = restored.step(event)!;
    step = kept.step(event)!;
    expect(JSON.parse(JSON.stringify(step.snapshot)), `step ${i}`).to.deep.equal(
      JSON.parse(JSON.stringify(fromRestored.snapshot)),
    );
    expect(step.emitted, `step ${i}`).to.deep.equal(fromRestored.emitted);
    restored.stop();
    persisted = JSON.parse(JSON.stringify(step.snapshot));
  }
  kept.stop();
}

describe('a saga machine kept running between events', () => {
  it('persists and emits what a machine restored for every event would, on the happy path', () => {
    compareAlong([success(reservation), success(charge), success(notified)]);
  });

  it('does so through resends and compensation', () => {
    compareAlong([
      'TIMEOUT',
      success(reservation),
      failure('card_declined'),
      'TIMEOUT',
      success(released),
      success(notified),
    ]);
  });

  it('refuses an event it does not accept and stays as it was', () => {
    const saga = new RunningSaga(orderSagaV1, { input: orderInput() });
    const before = JSON.stringify(saga.step()!.snapshot);
    const stale: SagaEvent = { type: 'REPLY', commandId: 'not-awaited', reply: success(charge) };
    expect(saga.step(stale)).to.equal(null);
    expect(JSON.stringify(saga.step()!.snapshot)).to.equal(before);
    saga.stop();
  });

  it('reports its first commands once, on the step that starts it', () => {
    const saga = new RunningSaga(orderSagaV1, { input: orderInput() });
    expect(saga.step()!.emitted.map((e) => e.command.type)).to.deep.equal(['inventory.reserve']);
    expect(saga.step()!.emitted).to.deep.equal([]);
    saga.stop();
  });
});
