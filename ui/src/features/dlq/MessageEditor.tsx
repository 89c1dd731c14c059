import { useEffect, useState } from 'react';
import { errorMessage } from '../../app/api';
import { useDeadLetterQuery, useEditDeadLetterMutation } from './dlq-api';
import { canSend, describeChange, parseDraft, type DraftCheck } from './edit-draft';

/**
 * A dead letter's body in an editor: the text is checked against the message's schema by the
 * orchestrator (a dry run) and can be sent only as checked; the change is recorded in the saga's timeline.
 */
export function MessageEditor({ messageId, onDone }: { messageId: string; onDone: (note: string) => void }) {
  const { data: detail, error } = useDeadLetterQuery(messageId);
  const [edit, { isLoading }] = useEditDeadLetterMutation();
  const [text, setText] = useState('');
  const [check, setCheck] = useState<DraftCheck>({ state: 'unchecked' });
  useEffect(() => {
    if (detail) setText(detail.body === null ? detail.rawBody : JSON.stringify(detail.body, null, 2));
  }, [detail]);

  const send = async (dryRun: boolean) => {
    const parsed = parseDraft(text);
    if (!parsed.ok) {
      setCheck({ state: 'invalid', text, reason: parsed.reason });
      return;
    }
    const result = await edit({ messageId, edit: { replace: parsed.value, dryRun } });
    if ('error' in result) {
      setCheck({ state: 'invalid', text, reason: errorMessage(result.error) });
      return;
    }
    if (dryRun) setCheck({ state: 'valid', text, changes: result.data.changes });
    else
      onDone(`edited and replayed ${messageId}: ${result.data.changes.map(describeChange).join(', ') || 'no changes'}`);
  };

  if (error) return <p className="error">{errorMessage(error)}</p>;
  if (!detail) return <p className="muted">Loading the message…</p>;
  const editorId = `editor-${messageId}`;
  return (
    <div className="editor">
      <label htmlFor={editorId}>
        Message body <span className="muted">({detail.type}; messageId, type, sagaId and commandId cannot change)</span>
      </label>
      <textarea
        id={editorId}
        spellCheck={false}
        rows={Math.min(24, text.split('\n').length + 1)}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <div className="editor-actions">
        <button type="button" onClick={() => send(true)} disabled={isLoading}>
          Check against schema
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => send(false)}
          disabled={isLoading || !canSend(check, text)}
        >
          Send
        </button>
        {check.state !== 'unchecked' && check.text !== text && <span className="muted">changed since the check</span>}
      </div>
      {check.state === 'valid' && check.text === text && (
        <div className="check-ok" role="status">
          Valid {detail.type}.{' '}
          {check.changes.length ? (
            <ul>
              {check.changes.map((c) => (
                <li key={c.path} className="mono">
                  {describeChange(c)}
                </li>
              ))}
            </ul>
          ) : (
            'No changes: sending replays it as it is.'
          )}
        </div>
      )}
      {check.state === 'invalid' && check.text === text && (
        <p className="error" role="alert">
          {check.reason}
        </p>
      )}
    </div>
  );
}
