import { describe, expect, it } from 'vitest';
import { splitValidation } from '../../src/cli/pipeline';
import type { QAItem } from '../../src/engine/types';

const items = (n: number): QAItem[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `q${i}`,
    question: `question ${i}?`,
    golden_answers: [`a${i}`],
  }));

describe('validation split', () => {
  it('carves 100 questions (10% of small sets) from the end of the training set, disjoint and complete', () => {
    for (const [n, v] of [
      [1500, 100],
      [1000, 100],
      [400, 40],
      [9, 0],
    ]) {
      const all = items(n);
      const { train, val } = splitValidation(all);
      expect(val).toHaveLength(v);
      expect(train).toHaveLength(n - v);
      expect([...train, ...val]).toEqual(all);
    }
  });
});
