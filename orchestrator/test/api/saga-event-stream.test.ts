import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import type { Response } from 'express';
import { sagaflowTopology } from '@sagaflow/contracts';
import { MessageBus, silentLogger } from '@sagaflow/contracts/messaging';
import { createTestVhost, type TestVhost } from '@sagaflow/contracts/testing';
import { SagaEventStream } from '../../src/api/saga-event-stream.js';

/** The part of a response the stream uses; it records what was written. */
class RecordingResponse extends EventEmitter {
  readonly written: string[] = [];
  status: number | null = null;
  writeHead(status: number) {
    this.status = status;
    return this;
  }
  write(chunk: string) {
    this.written.push(chunk);
    return true;
  }
  end() {
    this.emit('close');
  }
}

describe('SagaEventStream', function () {
  this.timeout(20_000);
  let vhost: TestVhost;
  let bus: MessageBus;

  before(async () => {
    vhost = await createTestVhost('events');
    bus = await MessageBus.connect({ url: vhost.url, topology: sagaflowTopology([20]), logger: silentLogger() });
  });

  after(async () => {
    await bus.stop();
    await vhost.delete();
  });

  it('keeps no client that left while listening started, and keeps those that stayed', async () => {
    const stream = new SagaEventStream(bus, silentLogger());
    await stream.start();
    const leaving = new RecordingResponse();
    const staying = new RecordingResponse();
    const attachedLeaving = stream.attach(leaving as unknown as Response, {});
    const attachedStaying = stream.attach(staying as unknown as Response, {});
    leaving.emit('close');
    await Promise.all([attachedLeaving, attachedStaying]);
    expect(leaving.status, 'a stream was opened for a client that had left').to.equal(null);
    expect(staying.status).to.equal(200);
    expect(stream.clientCount).to.equal(1);
    await stream.stop();
    expect(stream.clientCount).to.equal(0);
  });
});
