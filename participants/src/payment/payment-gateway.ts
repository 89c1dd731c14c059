import type { ChargePayment, FailureReason } from '@sagaflow/contracts';

export const DECLINED_TOKEN = 'tok_decline';

/** The simulated card gateway: deterministic, so demos and tests can pick the outcome. */
export function gatewayVerdict(command: ChargePayment, limitCents: number): FailureReason | null {
  if (command.token === DECLINED_TOKEN) return { code: 'card_declined', message: 'the card was declined' };
  if (command.amountCents > limitCents) {
    return {
      code: 'insufficient_funds',
      message: `${command.amountCents} ${command.currency} cents is above the limit of ${limitCents}`,
    };
  }
  return null;
}
