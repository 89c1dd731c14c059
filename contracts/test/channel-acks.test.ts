import { expect } from 'chai';
import type { Channel, Message } from 'amqplib';
import { ChannelAcks } from '../src/messaging/channel-acks.js';

/** Records the frames a channel would send: the broker's side of acking is the real-broker tests' job. */
function recordingChannel() {
  const frames: string[] = [];
  const channel = {
    ack: (message: Message, allUpTo?: boolean) =>
      frames.push(`${allUpTo ? 'ack≤' : 'ack'}${message.fields.deliveryTag}`),
    nack: (message: Message) => frames.push(`requeue${message.fields.deliveryTag}`),
  } as unknown as Channel;
  return { channel, frames };
}

const raw = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message;
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ChannelAcks', () => {
  it('acks deliveries settled in a row with one multiple ack, once per turn', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new ChannelAcks(channel);
    for (const tag of [1, 2, 3, 4]) acks.received(tag);
    for (const tag of [3, 1, 2, 4]) acks.ack(tag);
    expect(frames).to.deep.equal([]);
    await turn();
    expect(frames).to.deep.equal(['ack≤4']);
  });

  it('acks one by one what lies beyond a delivery still running, and covers it all once that one is done', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new ChannelAcks(channel);
    for (const tag of [1, 2, 3, 4, 5]) acks.received(tag);
    acks.ack(1);
    acks.ack(4);
    await turn();
    expect(frames).to.deep.equal(['ack≤1', 'ack4']);
    acks.ack(2);
    acks.ack(3);
    await turn();
    // 4 was acked already: the multiple ack names 3, which is still outstanding.
    expect(frames).to.deep.equal(['ack≤1', 'ack4', 'ack≤3']);
    acks.ack(5);
    await turn();
    expect(frames.at(-1)).to.equal('ack≤5');
  });

  it('never acks a requeued delivery, and passes over it in a multiple ack', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new ChannelAcks(channel);
    for (const tag of [1, 2, 3]) acks.received(tag);
    acks.requeue(raw(2));
    expect(frames).to.deep.equal(['requeue2']);
    acks.ack(1);
    acks.ack(3);
    await turn();
    expect(frames).to.deep.equal(['requeue2', 'ack≤3']);
  });

  it('sends nothing once its channel closed, and flushes at once when asked', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new ChannelAcks(channel);
    acks.received(1);
    acks.received(2);
    acks.ack(1);
    acks.flush();
    expect(frames).to.deep.equal(['ack≤1']);
    acks.ack(2);
    acks.close();
    await turn();
    expect(frames).to.deep.equal(['ack≤1']);
  });

  it('survives a channel that throws on ack (it closed under the consumer)', async () => {
    const channel = {
      ack: () => {
        throw new Error('Channel closed');
      },
    } as unknown as Channel;
    const acks = new ChannelAcks(channel);
    acks.received(1);
    acks.ack(1);
    expect(() => acks.flush()).not.to.throw();
  });
});
