/**
 * The page layout: reads the store with atomic selectors and hands props and callbacks to presentational
 * components. Token-rate views (trajectory, group, rollout strip) get the store itself and subscribe outside
 * React; this component re-renders only on low-rate changes. Knows nothing of the worker beyond Actions.
 */
import { useStore } from 'zustand';
import { BeforeAfter } from './components/BeforeAfter';
import { Controls } from './components/Controls';
import { ErrorBanner } from './components/ErrorBanner';
import { ExperimentsPanel } from './components/ExperimentsPanel';
import { GroupView } from './components/GroupView';
import { Header } from './components/Header';
import { MetricsPanel } from './components/MetricsPanel';
import { Notices } from './components/Notices';
import { ResumeBanner } from './components/ResumeBanner';
import { RunsPanel } from './components/RunsPanel';
import { UploadPanel } from './components/UploadPanel';
import { PromptPanel } from './components/PromptPanel';
import { RolloutStrip } from './components/RolloutStrip';
import { SearchInspector } from './components/SearchInspector';
import { SettingsPanel } from './components/SettingsPanel';
import { TokensPerSec } from './components/TokensPerSec';
import { TrajectoryView } from './components/TrajectoryView';
import type { Actions } from './store/bridge';
import type { AppStore } from './store/state';
import { settingsToQuery } from './workers/settings-url';

export interface AppProps {
  store: AppStore;
  actions: Actions;
}

export function App({ store, actions }: AppProps) {
  const backend = useStore(store, (s) => s.backend);
  const phase = useStore(store, (s) => s.phase);
  const message = useStore(store, (s) => s.message);
  const hold = useStore(store, (s) => s.hold);
  const error = useStore(store, (s) => s.error);
  const corpora = useStore(store, (s) => s.corpora);
  const checkpoints = useStore(store, (s) => s.checkpoints);
  const settings = useStore(store, (s) => s.settings);
  const preset = useStore(store, (s) => s.preset);
  const progress = useStore(store, (s) => s.progress);
  const base = useStore(store, (s) => s.base);
  const vocab = useStore(store, (s) => s.vocab);
  const metrics = useStore(store, (s) => s.metrics);
  const evals = useStore(store, (s) => s.evals);
  const search = useStore(store, (s) => s.search);
  const inspected = useStore(store, (s) => s.inspected);
  const compare = useStore(store, (s) => s.compare);
  const savedRuns = useStore(store, (s) => s.savedRuns);
  const storage = useStore(store, (s) => s.storage);
  const current = useStore(store, (s) => s.current);
  const resumeOffer = useStore(store, (s) => s.resumeOffer);
  const notices = useStore(store, (s) => s.notices);
  const upload = useStore(store, (s) => s.upload);
  const experiment = useStore(store, (s) => s.experiment);

  const running = phase === 'loading' || phase === 'base' || phase === 'training';
  const shareUrl = `${location.origin}${location.pathname}?${settingsToQuery(preset, settings)}`;

  return (
    <div className="app">
      <Header
        backend={backend}
        want={settings.backend}
        rate={<TokensPerSec store={store} />}
        phase={phase}
        message={message}
        holdSeq={hold?.seq ?? null}
        onBackend={(b) => actions.changeSettings({ backend: b })}
      />
      <ErrorBanner message={error} onDismiss={actions.dismissError} />
      <ResumeBanner offer={resumeOffer} onResume={actions.resume} onDismiss={actions.dismissResume} />
      <Notices notices={notices} onDismiss={actions.dismissNotice} />
      <Controls
        corpora={corpora}
        checkpoints={checkpoints}
        settings={settings}
        preset={preset}
        phase={phase}
        progress={progress}
        base={base}
        steps={metrics.length ? metrics[metrics.length - 1].step : 0}
        onPlay={actions.play}
        onPause={actions.pause}
        onReset={actions.reset}
        onStep={actions.step}
        onChange={actions.changeSettings}
        onPreset={actions.applyPreset}
      />
      <main className="grid">
        <div className="col">
          <section className="panel strip-panel" aria-label="rollouts of this step">
            <RolloutStrip store={store} onSelect={actions.selectRow} />
          </section>
          <TrajectoryView store={store} actions={actions} />
          <GroupView store={store} actions={actions} />
        </div>
        <div className="col">
          <MetricsPanel metrics={metrics} evals={evals} algo={settings.algo} />
          <SearchInspector
            hits={search.hits}
            query={search.query}
            pending={search.pending}
            error={search.error}
            disabled={!corpora.length}
            inspected={inspected}
            topk={settings.topk}
            onSearch={actions.search}
          />
          <BeforeAfter compare={compare} vocab={vocab} disabled={!base} onCompare={actions.compare} />
          <ExperimentsPanel
            experiment={experiment}
            busy={running}
            onRun={actions.runExperiment}
            onStop={actions.reset}
            onExport={actions.exportExperiment}
          />
          <UploadPanel upload={upload} disabled={phase === 'starting'} onUpload={actions.upload} />
          <RunsPanel
            runs={savedRuns}
            storage={storage}
            currentId={current?.id ?? null}
            busy={running || phase === 'starting'}
            onResume={actions.resume}
            onRename={actions.renameRun}
            onDelete={actions.deleteRun}
            onExport={actions.exportRun}
            onImport={actions.importRun}
          />
        </div>
      </main>
      <SettingsPanel
        settings={settings}
        disabled={running || phase === 'starting'}
        shareUrl={shareUrl}
        onChange={actions.changeSettings}
        onError={(m) => actions.reportError(`setting not applied: ${m}`)}
      />
      <PromptPanel mode={settings.mode} style={settings.promptStyle} />
      <footer className="footer muted small">
        lesson “{preset}” · training runs in a Web Worker on tfjs; nothing leaves your browser.
      </footer>
    </div>
  );
}
