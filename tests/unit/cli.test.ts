import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const corpus = path.join(root, 'public/corpus/world/corpus.jsonl');
const train = path.join(root, 'tests/fixtures/mini/train.jsonl');
const test = path.join(root, 'tests/fixtures/mini/test.jsonl');

function cli(script: 'train' | 'eval', args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, `src/cli/${script}.ts`), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sr1-cli-'));

describe('npm run train / eval', () => {
  it('trains end to end, writes every output, and evaluates its checkpoint the same way', () => {
    const out = path.join(tmp(), 'run');
    const r = cli('train', [
      '--corpus',
      corpus,
      '--train',
      train,
      '--test',
      test,
      '--out',
      out,
      '--steps',
      '1',
      '--base-steps',
      '2',
      '--group',
      '2',
      '--pass-k',
      '2',
      '--eval-every',
      '0',
      '--seed',
      '3',
    ]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const last = r.stdout.trim().split('\n').pop()!;
    const summary = JSON.parse(last);
    for (const k of ['em', 'f1', 'base_em', 'searches_per_question', 'steps', 'seconds'])
      expect(summary).toHaveProperty(k);
    expect(summary.steps).toBe(1);
    expect(summary.steps_planned).toBe(1);
    // Every phase ran (practice, the pass@k gate, evaluations, one RL step); together they fit in the run's time.
    const phases = summary.phase_seconds as Record<string, number>;
    expect(Object.keys(phases).sort()).toEqual(['evaluation', 'gate', 'practice', 'rl']);
    const phaseSum = Object.values(phases).reduce((a, b) => a + b, 0);
    expect(phaseSum).toBeLessThanOrEqual(summary.seconds + 2); // each phase is rounded to whole seconds
    const metrics = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics).toHaveLength(1);
    for (const k of [
      'reward',
      'em',
      'kl',
      'entropy',
      'clipFrac',
      'responseLength',
      'validSearches',
      'spread',
      'distinctAnswers',
      'tokensPerSec',
    ]) {
      expect(metrics[0]).toHaveProperty(k);
    }
    const preds = fs
      .readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(preds).toHaveLength(6);
    for (const k of ['id', 'prediction', 'golden_answers', 'em', 'searches', 'trajectory'])
      expect(preds[0]).toHaveProperty(k);
    for (const f of ['config.json', 'weights.bin', 'tokenizer.json', 'run.json'])
      expect(fs.existsSync(path.join(out, 'checkpoint', f))).toBe(true);

    const evalOut = path.join(tmp(), 'eval');
    const e = cli('eval', [
      '--init',
      path.join(out, 'checkpoint'),
      '--corpus',
      corpus,
      '--test',
      test,
      '--out',
      evalOut,
      '--pass-k',
      '0',
    ]);
    expect(e.code).toBe(0);
    const evalSummary = JSON.parse(e.stdout.trim().split('\n').pop()!);
    // Greedy evaluation of the same weights on the same questions gives the same exact match.
    expect(evalSummary.em).toBe(summary.em);
    const evalPreds = fs
      .readFileSync(path.join(evalOut, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(evalPreds.map((p) => p.prediction)).toEqual(preds.map((p) => p.prediction));
  });

  it('stops RL early, and says so, when the next step would end the run past its time budget', () => {
    const out = path.join(tmp(), 'run');
    // A budget of 6 ms is spent before RL starts (loading, practice, the base evaluation), so no step fits.
    const args = ['--corpus', corpus, '--train', train, '--test', test, '--out', out, '--steps', '3'];
    const r = cli('train', [
      ...args,
      '--base-steps',
      '2',
      '--group',
      '2',
      '--pass-k',
      '0',
      '--budget',
      '0.0001',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/budget: RL stops after 0 of 3 steps so that the run ends within 0\.0001 min/);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(summary.steps).toBe(0);
    expect(summary.steps_planned).toBe(3);
    expect(summary.em).toBe(summary.base_em);
    expect(fs.existsSync(path.join(out, 'checkpoint', 'weights.bin'))).toBe(true);
  });

  it('rejects bad input with the file, the line and the problem, exit code 2, and nothing written', () => {
    const dir = tmp();
    const out = path.join(dir, 'run');
    const bad = path.join(root, 'tests/fixtures/bad/missing-golden.jsonl');
    const r = cli('train', ['--corpus', corpus, '--train', bad, '--test', test, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing-golden\.jsonl line \d+: .*golden_answers/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('reads Parquet QA files for --train and --test (Search-R1 train.parquet, FlashRAG columns)', () => {
    const pq = (name: string) => path.join(root, 'tests/fixtures/parquet', name);
    const out = path.join(tmp(), 'run');
    const r = cli('train', [
      '--corpus',
      path.join(root, 'tests/fixtures/good/corpus.jsonl'),
      '--train',
      pq('nq-search-train.parquet'),
      '--test',
      pq('flashrag-qa.parquet'),
      '--out',
      out,
      '--steps',
      '0',
      '--base-steps',
      '0',
      '--pass-k',
      '0',
      '--eval-every',
      '0',
    ]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const preds = fs
      .readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(preds.map((p) => p.id)).toEqual(['train_0', 'train_1', 'train_2', 'train_3', 'train_4']);
    expect(preds[1].golden_answers).toEqual(['Zel River', 'the Zel']);
  });

  it('rejects a bad Parquet file with the file, the row and the problem, exit code 2, and nothing written', () => {
    const dir = tmp();
    const out = path.join(dir, 'run');
    const bad = path.join(root, 'tests/fixtures/parquet/missing-target.parquet');
    const r = cli('train', ['--corpus', corpus, '--train', train, '--test', bad, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing-target\.parquet row 3: reward_model\.ground_truth\.target is missing/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
    // Not parquet inside, though named so: refused as such, not read as JSON lines.
    const fake = path.join(root, 'tests/fixtures/parquet/not-parquet.parquet');
    const f = cli('eval', ['--init', dir, '--corpus', corpus, '--test', fake, '--out', out]);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/not-parquet\.parquet: not a parquet file/);
  });

  it('rejects unknown options and missing files with exit code 2', () => {
    const a = cli('train', ['--corpus', corpus, '--bogus', '1']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown option --bogus/);
    const b = cli('train', [
      '--corpus',
      '/nonexistent.jsonl',
      '--test',
      test,
      '--out',
      path.join(tmp(), 'x'),
    ]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/nonexistent\.jsonl: cannot read/);
  });
});
