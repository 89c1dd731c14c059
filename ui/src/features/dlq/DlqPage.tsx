import { useState } from 'react';
import { Link } from 'react-router';
import type { DeadLetter } from '@sagaflow/contracts/messaging';
import { errorMessage } from '../../app/api';
import { formatTime, shortId } from '../../app/format';
import { MessageEditor } from './MessageEditor';
import { useDeadLettersQuery, useReplayOneMutation, useReplayQueueMutation } from './dlq-api';

const byQueue = (items: DeadLetter[]) =>
  items.reduce(
    (groups, d) => groups.set(d.queue, [...(groups.get(d.queue) ?? []), d]),
    new Map<string, DeadLetter[]>(),
  );

/** `/ui/dlq`: every dead-letter queue's messages; replay one, a selection or a queue; edit and replay. */
export function DlqPage() {
  const { data, error, isFetching, refetch } = useDeadLettersQuery();
  const [replayQueue, queueState] = useReplayQueueMutation();
  const [replayOne] = useReplayOneMutation();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const replaySelected = async () => {
    const ids = [...selected];
    const failures: string[] = [];
    for (const id of ids) {
      const result = await replayOne(id);
      if ('error' in result) failures.push(`${shortId(id)}: ${errorMessage(result.error)}`);
    }
    setSelected(new Set());
    setNote(
      `replayed ${ids.length - failures.length} of ${ids.length}${failures.length ? `; ${failures.join('; ')}` : ''}`,
    );
  };

  if (error) {
    return (
      <section>
        <h1>Dead letters</h1>
        <p className="error" role="alert">
          {errorMessage(error)}
        </p>
      </section>
    );
  }
  const groups = byQueue(data ?? []);
  return (
    <section aria-labelledby="dlq-title">
      <div className="page-head">
        <h1 id="dlq-title">Dead letters</h1>
        <div className="toolbar">
          <button type="button" onClick={() => refetch()} disabled={isFetching}>
            {isFetching ? 'Reading…' : 'Refresh'}
          </button>
          <button type="button" className="primary" disabled={selected.size === 0} onClick={replaySelected}>
            Replay selected ({selected.size})
          </button>
        </div>
      </div>
      {note && (
        <p className="note" role="status">
          {note}
        </p>
      )}
      {queueState.error && (
        <p className="error" role="alert">
          {errorMessage(queueState.error)}
        </p>
      )}
      {data && data.length === 0 && <p className="empty">No dead letters: nothing has failed for good.</p>}
      {[...groups].map(([queue, items]) => (
        <section key={queue} className="panel" aria-label={queue}>
          <div className="page-head">
            <h2 className="mono">
              {queue} <span className="muted">({items.length})</span>
            </h2>
            <button
              type="button"
              onClick={async () => {
                const r = await replayQueue({ queue });
                if ('data' in r && r.data) setNote(`${queue}: replayed ${r.data.replayed} of ${r.data.matched}`);
              }}
            >
              Replay all of this queue
            </button>
          </div>
          <ul className="dead-letters">
            {items.map((d) => (
              <li key={d.messageId} className="dead-letter" data-message-id={d.messageId}>
                <div className="dl-head">
                  <label className="check">
                    <input type="checkbox" checked={selected.has(d.messageId)} onChange={() => toggle(d.messageId)} />
                    <span className="mono" title={d.messageId}>
                      {shortId(d.messageId)}
                    </span>
                  </label>
                  <span className="mono">{d.routingKey ?? d.type ?? '?'}</span>
                  <span className="tag tag-reason">{d.reason}</span>
                  {d.sagaId && (
                    <Link to={`/sagas/${encodeURIComponent(d.sagaId)}`} className="mono" title={d.sagaId}>
                      {shortId(d.sagaId)}
                    </Link>
                  )}
                  <span className="muted">first failed {d.firstFailureAt ? formatTime(d.firstFailureAt) : '—'}</span>
                  <span className="muted">{d.attempts} tries</span>
                  <span className="dl-actions">
                    <button
                      type="button"
                      onClick={async () => {
                        const r = await replayOne(d.messageId);
                        setNote(
                          'error' in r ? `not replayed: ${errorMessage(r.error)}` : `replayed ${shortId(d.messageId)}`,
                        );
                      }}
                    >
                      Replay
                    </button>
                    <button
                      type="button"
                      className="primary"
                      onClick={() => setEditing(editing === d.messageId ? null : d.messageId)}
                    >
                      {editing === d.messageId ? 'Close editor' : 'Edit and replay'}
                    </button>
                  </span>
                </div>
                {d.error && <p className="dl-error">{d.error.message}</p>}
                {editing === d.messageId && (
                  <MessageEditor
                    messageId={d.messageId}
                    onDone={(text) => {
                      setEditing(null);
                      setNote(text);
                    }}
                  />
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}
