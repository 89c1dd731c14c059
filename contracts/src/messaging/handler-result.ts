import type { ErrorInfo } from '../schemas/common.js';
import type { Message } from '../messages.js';

/** What a consumer's handler decides for a message it was given. */
export type HandlerResult =
  { action: 'ack' } | { action: 'retry'; error: ErrorInfo } | { action: 'dead-letter'; error: ErrorInfo };

export const ack = (): HandlerResult => ({ action: 'ack' });
export const retryLater = (error: ErrorInfo): HandlerResult => ({ action: 'retry', error });
export const deadLetter = (error: ErrorInfo): HandlerResult => ({ action: 'dead-letter', error });

export interface DeliveryInfo {
  queue: string;
  /** 1 on the first delivery, counting every retry through the delay queues. */
  attempt: number;
  /** The broker redelivered it (a consumer died or a channel closed before the ack). */
  redelivered: boolean;
}

/**
 * Handles one checked message. Returning nothing acks; throwing retries a retryable error and
 * dead-letters a non-retryable one (see `SagaflowError`).
 */
export type MessageHandler = (message: Message, delivery: DeliveryInfo) => Promise<HandlerResult | void>;
