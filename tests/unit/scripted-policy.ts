/**
 * A three-passage corpus, two questions, their tokenizer and retriever, and a policy that emits a fixed script
 * per row: the rollout loop (and stepping over its gate) tested exactly, without a model.
 */
import type { Policy } from '../../src/engine/model';
import { Retriever } from '../../src/engine/retriever';
import { buildTokenizer } from '../../src/engine/session';
import { UNK, type Tokenizer } from '../../src/engine/tokenizer';
import type { Passage, QAItem } from '../../src/engine/types';

export const corpus: Passage[] = [
  {
    id: '0',
    title: 'Zorvak Lint',
    text: 'Zorvak Lint was born in Telmar.',
    contents: '"Zorvak Lint"\nZorvak Lint was born in Telmar.',
  },
  {
    id: '1',
    title: 'Telmar',
    text: 'Telmar is a city in Quelaria.',
    contents: '"Telmar"\nTelmar is a city in Quelaria.',
  },
  {
    id: '2',
    title: 'Brimcorp',
    text: 'Brimcorp was founded by Zorvak Lint.',
    contents: '"Brimcorp"\nBrimcorp was founded by Zorvak Lint.',
  },
];
export const items: QAItem[] = [
  { id: 'q1', question: 'Where was Zorvak Lint born', golden_answers: ['Telmar'] },
  { id: 'q2', question: 'Who founded Brimcorp?', golden_answers: ['Zorvak Lint'] },
];
export const tokenizer: Tokenizer = buildTokenizer({ corpus, train: items, test: [] });
export const retriever = new Retriever(corpus);

/** A policy that emits a fixed script per row (one-hot distributions), for testing the loop exactly. */
export function scriptedPolicy(scripts: string[][], contextLen = 256): Policy {
  const V = tokenizer.size;
  const cursor = scripts.map(() => 0);
  const fake = {
    cfg: { vocabSize: V, dModel: 8, nLayers: 1, nHeads: 1, contextLen, ffMult: 1, pointer: false },
    startDecode: (batch: number) => ({ batch, dispose() {} }),
    feed: async (_state: unknown, rows: { row: number; tokens: number[] }[]) => {
      const out = new Float32Array(scripts.length * V);
      for (const { row } of rows) {
        const piece = scripts[row][Math.min(cursor[row], scripts[row].length - 1)];
        const id = tokenizer.id(piece);
        if (id === UNK) throw new Error(`scripted piece "${piece}" is not in the vocabulary`);
        out[row * V + id] = 1;
        cursor[row] += 1;
      }
      return out;
    },
  };
  return fake as unknown as Policy;
}
