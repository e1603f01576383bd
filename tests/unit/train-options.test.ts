import { describe, expect, it } from 'vitest';
import { pipelineOptions } from '../../src/cli/train-options';
import { defaultRolloutConfig } from '../../src/engine/config';

const base = ['--corpus', 'c', '--test', 't', '--out', 'o'];

describe('--threads', () => {
  it('takes 1 or 2, leaves the default to the machine, and rejects more than the split uses', () => {
    expect(pipelineOptions(base, 'train', false)!.threads).toBeUndefined();
    expect(pipelineOptions([...base, '--threads', '1'], 'train', false)!.threads).toBe(1);
    expect(pipelineOptions([...base, '--threads', '2'], 'train', false)!.threads).toBe(2);
    expect(() => pipelineOptions([...base, '--threads', '3'], 'train', false)).toThrow(/1 or 2, got 3/);
    expect(() => pipelineOptions([...base, '--threads', '0'], 'train', false)).toThrow(/≥ 1/);
  });
});

describe('--temperature', () => {
  it('is optional, positive, and carried as given', () => {
    expect(pipelineOptions(base, 'train', false)!.temperature).toBeUndefined();
    expect(pipelineOptions([...base, '--temperature', '1.2'], 'train', false)!.temperature).toBe(1.2);
    expect(() => pipelineOptions([...base, '--temperature', '0'], 'train', false)).toThrow(/> 0, got 0/);
  });
});

describe('--fresh-passages', () => {
  it("defaults to the engine's value; --no-fresh-passages makes every search stateless, as the paper's", () => {
    expect(pipelineOptions(base, 'train', false)!.freshPassages).toBe(defaultRolloutConfig().freshPassages);
    expect(pipelineOptions([...base, '--no-fresh-passages'], 'train', false)!.freshPassages).toBe(false);
    expect(pipelineOptions([...base, '--fresh-passages'], 'train', false)!.freshPassages).toBe(true);
  });
});

describe('--bm25-k1', () => {
  it("defaults to the engine's value, takes any k1 ≥ 0, and rejects a negative one", () => {
    expect(pipelineOptions(base, 'train', false)!.bm25K1).toBe(defaultRolloutConfig().bm25K1);
    expect(pipelineOptions([...base, '--bm25-k1', '0.3'], 'train', false)!.bm25K1).toBe(0.3);
    expect(pipelineOptions([...base, '--bm25-k1', '0'], 'train', false)!.bm25K1).toBe(0);
    expect(() => pipelineOptions([...base, '--bm25-k1', '-1'], 'train', false)).toThrow(/≥ 0, got -1/);
  });
});
