import { describe, expect, it } from 'vitest';
import { pipelineOptions } from '../../src/cli/train-options';

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
