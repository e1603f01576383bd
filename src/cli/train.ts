/**
 * `npm run train -- --corpus C.jsonl --train Q.jsonl --test T.jsonl --out DIR [options]`
 * Builds (or loads) the base policy, trains it with GRPO (Search-R1), evaluates on the held-out split, and
 * prints a one-line JSON summary last on stdout.
 */
import { runMain } from './common';
import { reexecForWebGPU } from './node-backend';
import { runPipeline } from './pipeline';
import { pipelineOptions } from './train-options';

runMain(async () => {
  if (await reexecForWebGPU(process.argv.slice(2))) return;
  const opts = pipelineOptions(process.argv.slice(2), 'train', false);
  if (!opts) return;
  const summary = await runPipeline(opts);
  process.stdout.write(JSON.stringify(summary) + '\n');
});
