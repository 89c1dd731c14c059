import type { RequestHandler } from 'express';
import { durationMs, ReconciliationQuery, type ReconciliationReport } from '@sagaflow/contracts';
import type { Logger } from '@sagaflow/contracts/messaging';
import { collectRecords } from '../reconciliation/collect-records.js';
import { countsOf, findAnomalies } from '../reconciliation/find-anomalies.js';
import { ParticipantUnavailable, type ParticipantUrls } from '../reconciliation/participant-records.js';
import type { SagaStore } from '../store/saga-store.js';
import { HttpError } from './http-error.js';
import { parseQuery, route } from './middleware.js';

/** Orders younger than this are in flight; sagas unchanged for longer are stalled. */
const DEFAULT_STALLED_AFTER = '5m';

const readQuery = parseQuery(ReconciliationQuery);

/**
 * `GET /reconciliation`: cross-checks the orders and sagas against the participants' records. A
 * participant that does not answer makes it 503 naming that participant: never a partial all-clear.
 */
export function reconciliationRoute(store: SagaStore, participants: ParticipantUrls, log: Logger): RequestHandler {
  return route(async (req, res) => {
    const stalledAfterMs = durationMs(readQuery(req).stalledAfter ?? DEFAULT_STALLED_AFTER);
    const now = new Date();
    const records = await collectRecords(store, participants).catch((error: unknown) => {
      if (!(error instanceof ParticipantUnavailable)) throw error;
      log.warn('reconciliation: participant unavailable', { participant: error.participant, error: error.message });
      throw new HttpError(503, 'participant_unavailable', error.message, { participant: error.participant });
    });
    const anomalies = findAnomalies(records, now, stalledAfterMs);
    if (anomalies.length > 0) log.warn('reconciliation found anomalies', { anomalies: anomalies.length });
    const report: ReconciliationReport = {
      checkedAt: now.toISOString(),
      stalledAfterMs,
      counts: countsOf(records),
      anomalies,
    };
    res.json(report);
  });
}
