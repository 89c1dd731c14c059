import amqp from 'amqplib';
import { createTestVhost } from '@sagaflow/contracts/testing';
import { percentile } from './stats.js';

export interface NullSagaOptions {
  sagas: number;
  /** The first sagas, left out of the figures. */
  warmup: number;
  concurrency: number;
  steps: number;
}

/**
 * The reference a saga orchestrator is measured against: each "saga" is `steps` command/reply round
 * trips over RabbitMQ with what Sagaflow's messages get (durable queues, persistent messages,
 * publisher confirms, manual acks), and nothing else — no store, no participant work.
 */
export async function nullSaga(options: NullSagaOptions) {
  const vhost = await createTestVhost('null-saga');
  const driver = await amqp.connect(vhost.url);
  const responder = await amqp.connect(vhost.url);
  try {
    const commands = await responder.createConfirmChannel();
    const replies = await driver.createConfirmChannel();
    await commands.assertQueue('null.commands', { durable: true });
    await replies.assertQueue('null.replies', { durable: true });
    await commands.prefetch(256);
    await replies.prefetch(256);
    const persistent = { persistent: true, contentType: 'application/json' };

    await commands.consume('null.commands', (message) => {
      if (!message) return;
      commands.sendToQueue('null.replies', message.content, {
        ...persistent,
        correlationId: message.properties.correlationId,
      });
      commands.ack(message);
    });
    const waiting = new Map<string, () => void>();
    await replies.consume('null.replies', (message) => {
      if (!message) return;
      replies.ack(message);
      waiting.get(message.properties.correlationId)?.();
    });

    const roundTrip = (id: string) =>
      new Promise<void>((resolve, reject) => {
        waiting.set(id, () => {
          waiting.delete(id);
          resolve();
        });
        const body = Buffer.from(JSON.stringify({ commandId: id, payload: { orderId: id } }));
        replies.sendToQueue('null.commands', body, { ...persistent, correlationId: id }, (error) =>
          error ? reject(error) : undefined,
        );
      });

    const latencies: number[] = [];
    let begin = 0;
    let next = 0;
    const worker = async () => {
      while (next < options.sagas) {
        const n = next++;
        if (n === options.warmup) begin = performance.now();
        const t0 = performance.now();
        for (let step = 0; step < options.steps; step++) await roundTrip(`${n}.${step}`);
        if (n >= options.warmup) latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const measured = options.sagas - options.warmup;
    return {
      ordersPerSecond: measured / ((performance.now() - begin) / 1000),
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      p99Ms: percentile(latencies, 0.99),
    };
  } finally {
    await driver.close().catch(() => undefined);
    await responder.close().catch(() => undefined);
    await vhost.delete();
  }
}
