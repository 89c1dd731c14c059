import type { Channel, ChannelModel } from 'amqplib';

/** Whether an error is the broker's 404 NOT_FOUND (a passive check of something that does not exist). */
export const isNotFound = (error: unknown): boolean =>
  (error as { code?: unknown })?.code === 404 || /NOT_FOUND|404/.test((error as Error)?.message ?? '');

/**
 * Runs a passive check (`checkQueue`, `checkExchange`) on a channel of its own: a 404 closes the channel
 * it happens on, so it must not be one that carries other work. True when the thing exists, false on a
 * 404; any other failure is thrown.
 */
export async function existsOnBroker(
  connection: ChannelModel,
  check: (channel: Channel) => Promise<unknown>,
): Promise<boolean> {
  const probe = await connection.createChannel();
  // The broker's close of the channel comes as an 'error' event; without a listener it would be thrown.
  probe.on('error', () => undefined);
  try {
    await check(probe);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  } finally {
    await probe.close().catch(() => undefined);
  }
}
