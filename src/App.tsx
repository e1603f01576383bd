/**
 * The page layout: reads the store with atomic selectors and hands props and callbacks to presentational
 * components. Knows nothing of the worker beyond the Actions interface.
 */
import { useStore } from 'zustand';
import { Controls } from './components/Controls';
import { ErrorBanner } from './components/ErrorBanner';
import { Header } from './components/Header';
import { MetricsPanel } from './components/MetricsPanel';
import { SearchInspector } from './components/SearchInspector';
import { TrajectoryView } from './components/TrajectoryView';
import type { Actions } from './store/bridge';
import type { AppStore } from './store/state';

export interface AppProps {
  store: AppStore;
  actions: Actions;
}

export function App({ store, actions }: AppProps) {
  const backend = useStore(store, (s) => s.backend);
  const tokensPerSec = useStore(store, (s) => s.tokensPerSec);
  const phase = useStore(store, (s) => s.phase);
  const message = useStore(store, (s) => s.message);
  const error = useStore(store, (s) => s.error);
  const corpora = useStore(store, (s) => s.corpora);
  const settings = useStore(store, (s) => s.settings);
  const progress = useStore(store, (s) => s.progress);
  const metrics = useStore(store, (s) => s.metrics);
  const sample = useStore(store, (s) => s.sample);
  const search = useStore(store, (s) => s.search);
  const preset = useStore(store, (s) => s.preset);

  return (
    <div className="app">
      <Header backend={backend} tokensPerSec={tokensPerSec} phase={phase} message={message} />
      <ErrorBanner message={error} onDismiss={actions.dismissError} />
      <Controls
        corpora={corpora}
        settings={settings}
        phase={phase}
        progress={progress}
        steps={metrics.length ? metrics[metrics.length - 1].step : 0}
        onPlay={actions.play}
        onPause={actions.pause}
        onReset={actions.reset}
        onChange={actions.changeSettings}
      />
      <main className="grid">
        <TrajectoryView sample={sample} masked={settings.maskInformation} />
        <MetricsPanel metrics={metrics} />
        <SearchInspector
          hits={search.hits}
          query={search.query}
          pending={search.pending}
          error={search.error}
          disabled={!corpora.length}
          onSearch={actions.search}
        />
      </main>
      <footer className="footer muted small">
        preset “{preset}” · training runs in a Web Worker on tfjs; nothing leaves your browser.
      </footer>
    </div>
  );
}
