/**
 * `npm run eval -- --init CHECKPOINT_DIR --corpus C --test T --out DIR [--mode ...]`
 * Evaluates a checkpoint exactly as `train` evaluates at its end; writes predictions.jsonl and summary.json.
 */
import { runMain } from './common';
import { reexecForWebGPU } from './node-backend';
import { runPipeline } from './pipeline';
import { pipelineOptions } from './train-options';

runMain(async () => {
  if (await reexecForWebGPU(process.argv.slice(2))) return;
  const opts = pipelineOptions(process.argv.slice(2), 'eval', true);
  if (!opts) return;
  const summary = await runPipeline(opts);
  process.stdout.write(JSON.stringify(summary) + '\n');
});
