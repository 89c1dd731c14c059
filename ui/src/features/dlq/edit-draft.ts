/** What the editor knows about its text: not yet checked, checked and valid, or refused with a reason. */
export type DraftCheck =
  | { state: 'unchecked' }
  | { state: 'valid'; text: string; changes: { path: string; from?: unknown; to?: unknown }[] }
  | { state: 'invalid'; text: string; reason: string };

/** Parses the editor's text; a reason when it is not JSON. */
export function parseDraft(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
}

/** Sending is allowed only for the very text the server checked and found valid. */
export const canSend = (check: DraftCheck, text: string): boolean => check.state === 'valid' && check.text === text;

/** A change as one line: `payload.token: "tok_x" → "tok_visa"`. */
export const describeChange = (c: { path: string; from?: unknown; to?: unknown }): string =>
  `${c.path}: ${c.from === undefined ? '(none)' : JSON.stringify(c.from)} → ${c.to === undefined ? '(removed)' : JSON.stringify(c.to)}`;
