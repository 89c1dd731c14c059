/**
 * What one saga step costs the engine in CPU: restore the actor from a stored (JSON) snapshot,
 * check and apply one event, collect the emitted commands, persist and serialise again.
 * Run: node orchestrator/dist/test/sagas/bench/restore-cost.js [iterations]
 */
import { createActor, type AnyStateMachine } from 'xstate';
import { cancellationSagaV1 } from '../../../src/sagas/cancellation-saga.js';
import { orderSagaV1 } from '../../../src/sagas/order-saga.js';
import type { SagaCommandEmitted, SagaContextBase, SagaEvent } from '../../../src/sagas/saga-protocol.js';
import { sagaStatusOf, stateNameOf } from '../../../src/sagas/saga-definitions.js';
import { orderInput, reservation, success } from '../saga-driver.js';

const iterations = Number(process.argv[2] ?? 20_000);

function step(machine: AnyStateMachine, stored: string, event: SagaEvent): string {
  const actor = createActor(machine, { snapshot: JSON.parse(stored) });
  const emitted: SagaCommandEmitted[] = [];
  actor.on('command', (e) => emitted.push(e as unknown as SagaCommandEmitted));
  actor.start();
  if (!actor.getSnapshot().can(event)) throw new Error(`event ${event.type} refused`);
  actor.send(event);
  const persisted = actor.getPersistedSnapshot();
  actor.stop();
  sagaStatusOf(persisted);
  stateNameOf(persisted);
  return JSON.stringify(persisted);
}

function initial(machine: AnyStateMachine, input: unknown): string {
  const actor = createActor(machine, { input });
  actor.start();
  const stored = JSON.stringify(actor.getPersistedSnapshot());
  actor.stop();
  return stored;
}

function measure(name: string, machine: AnyStateMachine, stored: string, event: (stored: string) => SagaEvent): void {
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) step(machine, stored, event(stored));
    rounds.push(Number(process.hrtime.bigint() - started) / 1000 / iterations);
  }
  rounds.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(48)} median ${rounds[2].toFixed(1)} µs/step (best ${rounds[0].toFixed(1)}, ${stored.length} B snapshot)`,
  );
}

const awaitedReply = (stored: string): SagaEvent => {
  const context = (JSON.parse(stored) as { context: SagaContextBase }).context;
  return { type: 'REPLY', commandId: context.awaiting!.command.commandId, reply: success(reservation) };
};

const order = initial(orderSagaV1, orderInput(1_000_000_000));
const cancellation = initial(cancellationSagaV1, {
  sagaId: 'saga-2',
  orderId: 'order-1',
  customerEmail: 'ada@example.com',
  currency: 'EUR',
  totalCents: 3500,
  lines: reservation.lines,
  maxAttempts: 1_000_000_000,
});

console.log(`node ${process.version}, ${iterations} steps per round, 5 rounds`);
measure('order: reserve reply → charging (new command)', orderSagaV1, order, awaitedReply);
measure('order: timeout → resend', orderSagaV1, order, () => ({ type: 'TIMEOUT' }));
measure('cancellation: refund reply → releasing', cancellationSagaV1, cancellation, awaitedReply);
measure('cancellation: timeout → resend', cancellationSagaV1, cancellation, () => ({ type: 'TIMEOUT' }));
