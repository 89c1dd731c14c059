import { useState, type FormEvent } from 'react';
import { useAppDispatch, useAppSelector } from '../../app/hooks';
import { tokenCleared, tokenEntered } from './auth-slice';

/** Where the API token is entered once per browser session (kept in sessionStorage, sent as a header). */
export function TokenForm() {
  const dispatch = useAppDispatch();
  const { token, required } = useAppSelector((s) => s.auth);
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const shown = open || required;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    dispatch(tokenEntered(text));
    setText('');
    setOpen(false);
  };
  return (
    <div className="token">
      {!shown && (
        <button type="button" className="link-button" onClick={() => setOpen(true)}>
          {token ? 'Token set · change' : 'API token'}
        </button>
      )}
      {shown && (
        <form className="token-form" onSubmit={submit} aria-label="API token">
          {required && (
            <span className="token-needed" role="alert">
              The orchestrator needs an API token.
            </span>
          )}
          <input
            type="password"
            autoComplete="off"
            aria-label="API token"
            placeholder="API_TOKEN"
            value={text}
            autoFocus
            onChange={(e) => setText(e.target.value)}
          />
          <button type="submit" className="primary">
            Use
          </button>
          {token && (
            <button type="button" onClick={() => (dispatch(tokenCleared()), setOpen(false))}>
              Forget
            </button>
          )}
          {!required && (
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          )}
        </form>
      )}
    </div>
  );
}
