/**
 * Running an experiment in the worker: each variant trains for `updates` steps in a Run of its own (not saved), one
 * after another, each from the base policy its settings name (the shipped checkpoint, or one built with the same
 * seed). Its step and evaluation reports become experiment events; its status, base and rollouts go to the page as
 * a run's would. A reset (a newer runId) stops it. The variants themselves (catalogue, settings, exports) are
 * experiments.ts; this file knows the Run and the protocol, nothing of the page.
 */
import type { LoadedCorpus } from './corpora';
import type { VariantRun } from './experiments';
import type { ExperimentEvent, FromWorker } from './protocol';
import { Run } from './runner';

/** What the worker lends an experiment. */
export interface ExperimentHost {
  baseUrl: string;
  post(m: FromWorker): void;
  /** A corpus by name, loaded once and shared. */
  corpus(name: string): Promise<LoadedCorpus>;
  /** Whether `runId` is still the page's run (a reset makes a newer one). */
  isCurrent(runId: number): boolean;
  /** `r` is the worker's run now (pause, reset and compare reach it). */
  adopt(r: Run): void;
  /** `r` has ended: it stops being the worker's run unless another has replaced it. */
  release(r: Run): void;
}

/** Train `variants` one after another, `updates` steps each, reporting as run `runId`'s experiment. */
export async function runExperiment(
  runId: number,
  variants: VariantRun[],
  updates: number,
  host: ExperimentHost,
): Promise<void> {
  const { post } = host;
  const event = (e: ExperimentEvent) => post({ type: 'experiment', runId, event: e });
  for (let index = 0; index < variants.length; index++) {
    if (!host.isCurrent(runId)) return;
    const v = variants[index];
    event({ kind: 'variant', index, name: v.name });
    let failed: string | null = null;
    const prefix = `variant ${index + 1}/${variants.length} "${v.name}": `;
    const report = (m: FromWorker) => {
      if (m.type === 'steps') for (const r of m.reports) event({ kind: 'step', index, metrics: r.metrics });
      else if (m.type === 'eval') event({ kind: 'eval', index, point: m.point, policy: m.policy });
      else if (m.type === 'error') failed = m.message;
      else if (m.type === 'status') post({ ...m, message: prefix + m.message });
      else if (m.type !== 'saved') post(m);
    };
    const r = new Run(runId, v.settings, () => host.corpus(v.settings.corpus), host.baseUrl, report, {
      stopAfter: updates,
    });
    host.adopt(r);
    r.play();
    await r.ended;
    host.release(r);
    if (failed !== null) {
      event({ kind: 'error', index, message: failed });
      post({ type: 'status', runId, phase: 'idle', message: `experiment stopped: ${prefix}${failed}` });
      return;
    }
  }
  if (!host.isCurrent(runId)) return;
  event({ kind: 'done' });
  post({
    type: 'status',
    runId,
    phase: 'idle',
    message: `experiment done: ${variants.length} variants × ${updates} updates`,
  });
}
