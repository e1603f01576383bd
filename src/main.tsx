/**
 * Entry point: creates the store, starts the training worker (a module worker that owns tfjs), connects the two
 * and renders the page. The main thread never imports tfjs.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectWorker, type WorkerLike } from './store/bridge';
import { createAppStore } from './store/state';
import { settingsFromQuery } from './workers/presets';
import './styles.css';

const { preset, settings } = settingsFromQuery(location.search);
const store = createAppStore(preset, settings);
const worker = new Worker(new URL('./workers/train.worker.ts', import.meta.url), { type: 'module' });
// The worker resolves corpus and wasm URLs against the page's directory (the app may live under a sub-path).
const actions = connectWorker(store, worker as unknown as WorkerLike, new URL('.', location.href).href);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App store={store} actions={actions} />
  </StrictMode>,
);
