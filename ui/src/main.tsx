import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'react-redux';
import { BrowserRouter } from 'react-router';
import { App } from './app/App';
import { makeBrowserStore } from './app/store';
import './app/styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Provider store={makeBrowserStore()}>
      <BrowserRouter basename="/ui">
        <App />
      </BrowserRouter>
    </Provider>
  </StrictMode>,
);
