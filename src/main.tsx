/**
 * Entry point: reads the settings from the URL, creates the store, starts the training worker (a module worker
 * that owns tfjs), connects the two, keeps the URL equal to the current settings (so the address is a shareable
 * link) and renders the page. The main thread never imports tfjs.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectWorker, type Actions, type WorkerLike } from './store/bridge';
import { createAppStore } from './store/state';
import { settingsFromQuery } from './workers/presets';
import { settingsToQuery } from './workers/settings-url';
import './styles.css';

const { preset, settings, errors } = settingsFromQuery(location.search);
const store = createAppStore(preset, settings);
if (errors.length) store.setState({ error: errors.join('; ') });

const makeWorker = () =>
  new Worker(new URL('./workers/train.worker.ts', import.meta.url), {
    type: 'module',
  }) as unknown as WorkerLike;
/** Save an exported run or checkpoint as a file. */
const download = (fileName: string, bytes: ArrayBuffer) => {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};
// The worker resolves corpus, checkpoint and wasm URLs against the page's directory (the app may live under a
// sub-path).
const actions = connectWorker(store, makeWorker, new URL('.', location.href).href, download);
// Fault drills from the console or the browser tests: __playground.debug('lose-device' | 'crash' | 'nan' | 'oom').
(window as unknown as { __playground: { debug: Actions['debug'] } }).__playground = { debug: actions.debug };

const syncUrl = () => {
  const { preset: p, settings: s } = store.getState();
  const query = `?${settingsToQuery(p, s)}`;
  if (query !== location.search)
    history.replaceState(null, '', `${location.pathname}${query}${location.hash}`);
};
syncUrl();
store.subscribe((s, prev) => {
  if (s.settings !== prev.settings || s.preset !== prev.preset) syncUrl();
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App store={store} actions={actions} />
  </StrictMode>,
);
