import { NavLink, Route, Routes } from 'react-router';
import { TokenForm } from '../features/auth/TokenForm';
import { DlqPage } from '../features/dlq/DlqPage';
import { NewOrderPage } from '../features/orders/NewOrderPage';
import { SagaPage } from '../features/saga/SagaPage';
import { SagaListPage } from '../features/sagas/SagaListPage';
import { useSagaEventsQuery } from '../features/sagas/sagas-api';
import { useAppSelector } from './hooks';

const STREAM_LABEL = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  unauthorized: 'needs token',
};

function ConnectionBanner() {
  const { unreachable, stream } = useAppSelector((s) => s.connection);
  if (!unreachable && stream !== 'reconnecting') return null;
  return (
    <div className="banner" role="alert">
      <strong>Cannot reach the orchestrator</strong> at {window.location.origin}. Is it running (<code>make local</code>
      )? Retrying by itself; what you see may be out of date.
    </div>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Not here</h1>
      <p>
        Nothing at this address. <NavLink to="/">Back to the sagas</NavLink>.
      </p>
    </section>
  );
}

export function App() {
  useSagaEventsQuery(); // one live stream for every page
  const stream = useAppSelector((s) => s.connection.stream);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" end>
          Sagaflow
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Sagas
          </NavLink>
          <NavLink to="/orders/new">New order</NavLink>
          <NavLink to="/dlq">Dead letters</NavLink>
        </nav>
        <span className={`stream stream-${stream}`} aria-live="polite" title="saga change stream">
          <span className="dot" aria-hidden="true" />
          {STREAM_LABEL[stream]}
        </span>
        <TokenForm />
      </header>
      <ConnectionBanner />
      <main id="main">
        <Routes>
          <Route path="/" element={<SagaListPage />} />
          <Route path="/sagas/:sagaId" element={<SagaPage />} />
          <Route path="/orders/new" element={<NewOrderPage />} />
          <Route path="/dlq" element={<DlqPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </div>
  );
}
