import { expect } from 'chai';
import { EXCHANGES, EXPRESS_PRIORITY, type OrderPriority } from '@sagaflow/contracts';
import { checkMessage } from '@sagaflow/contracts/messaging';
import { RunningSaga } from '../../src/engine/running-saga.js';
import { applyEvent, startSaga } from '../../src/engine/saga-transition.js';
import { definitionFor, latestVersion } from '../../src/sagas/index.js';
import type { ReplyPayload, SagaContextBase, SagaEvent } from '../../src/sagas/saga-protocol.js';
import type { SagaCommit } from '../../src/store/saga-store.js';
import { charge, failure, notified, orderInput, released, reservation, success } from '../sagas/saga-driver.js';

const settings = () => ({ now: new Date(), stepTimeoutMs: 5_000 });

/** Runs an order saga through the transitions the engine commits, and keeps every commit. */
function runOrderSaga(events: (ReplyPayload | 'TIMEOUT')[], priority: OrderPriority = 'standard'): SagaCommit[] {
  const input = orderInput(2);
  const version = latestVersion('order');
  const machine = new RunningSaga(definitionFor('order', version), { input });
  const base = {
    sagaId: input.sagaId,
    type: 'order' as const,
    definitionVersion: version,
    orderId: input.orderId,
    priority,
  };
  const commits = [startSaga(machine, base, settings(), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')];
  for (const next of events) {
    const saga = commits.at(-1)!.saga;
    const awaiting = (saga.snapshot as { context: SagaContextBase }).context.awaiting!;
    const event: SagaEvent =
      next === 'TIMEOUT' ? { type: 'TIMEOUT' } : { type: 'REPLY', commandId: awaiting.command.commandId, reply: next };
    const commit = applyEvent(machine, saga, event, settings());
    expect(commit, `${event.type} is applied`).to.not.equal(null);
    commits.push(commit!);
  }
  machine.stop();
  return commits;
}

describe('saga transitions', () => {
  // The outbox relay publishes these without checking them again: every one must pass the check a
  // consumer makes on receipt.
  const paths: Record<string, (ReplyPayload | 'TIMEOUT')[]> = {
    completed: [success(reservation), success(charge), success(notified)],
    'declined and compensated': [
      success(reservation),
      failure('card_declined', 'declined'),
      success(released),
      success(notified),
    ],
    'out of stock': [failure('out_of_stock', 'none left'), success(notified)],
    'resent, stalled and resumed': ['TIMEOUT', 'TIMEOUT', success(reservation), success(charge)],
  };
  for (const [name, events] of Object.entries(paths)) {
    it(`builds only messages a consumer accepts: ${name}`, () => {
      const commits = runOrderSaga(events);
      const messages = commits.flatMap((commit) => commit.outbox.map((entry) => entry.message));
      expect(messages.filter((m) => m.type !== 'saga.changed')).to.not.be.empty;
      for (const message of messages) {
        const checked = checkMessage(JSON.parse(JSON.stringify(message)));
        expect(checked, `${message.type}: ${checked.ok ? '' : checked.detail}`).to.include({ ok: true });
      }
    });
  }

  it('publishes every command of an express saga, resends and compensations too, with express route and priority', () => {
    const events = paths['declined and compensated']!;
    const entries = runOrderSaga(['TIMEOUT', ...events], 'express').flatMap((commit) => commit.outbox);
    const commands = entries.filter((e) => e.exchange === EXCHANGES.commands);
    expect(commands.map((e) => e.message.type)).to.deep.equal([
      'inventory.reserve',
      'inventory.reserve',
      'payment.charge',
      'inventory.release',
      'notification.send',
    ]);
    for (const e of commands) {
      expect(e, e.message.type).to.include({ routingKey: `${e.message.type}.express`, priority: EXPRESS_PRIORITY });
    }
    const sagaEvents = entries.filter((e) => e.exchange === EXCHANGES.events);
    expect(sagaEvents).to.not.be.empty;
    for (const e of sagaEvents) expect(e.priority, 'saga events go without priority').to.equal(0);
  });

  it("publishes a standard saga's commands by their type, without priority", () => {
    const commands = runOrderSaga(paths.completed!)
      .flatMap((commit) => commit.outbox)
      .filter((e) => e.exchange === EXCHANGES.commands);
    expect(commands).to.have.length(3);
    for (const e of commands) expect(e).to.include({ routingKey: e.message.type, priority: 0 });
  });
});
