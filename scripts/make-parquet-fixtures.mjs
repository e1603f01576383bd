// Writes the Parquet test fixtures (tests/fixtures/parquet/) with hyparquet-writer (snappy compression, its default).
// The Search-R1 files have the layout that Search-R1's scripts/data_process/nq_search.py gets from pandas/pyarrow:
//   data_source: string, prompt: list<struct<content, role>>, ability: string,
//   reward_model: struct<ground_truth: struct<target: list<string>>, style: string>,
//   extra_info: struct<index: int64, split: string>
// with the same 3-level LIST groups pyarrow writes. The FlashRAG file has plain question / golden_answers columns.
// The questions are about tests/fixtures/good/corpus.jsonl. Usage: npm run gen:parquet-fixtures
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'tests/fixtures/parquet');

// Search-R1's make_prefix (template "base"), as src/engine/prompt.ts PAPER_SEARCH_TEMPLATE quotes it.
const prefix = (q) =>
  'Answer the given question. You must conduct reasoning inside <think> and </think> first every time you get new ' +
  'information. After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query ' +
  '</search> and it will return the top searched results between <information> and </information>. You can search as ' +
  'many times as your want. If you find no further external knowledge needed, you can directly provide the answer ' +
  `inside <answer> and </answer>, without detailed illustrations. For example, <answer> Beijing </answer>. Question: ${q}\n`;

const QA = [
  ['what is the capital of quelaria?', ['Ostrel']],
  ['which river does ostrel lie on?', ['Zel River', 'the Zel']],
  ['ostrel is a city in which country?', ['Quelaria']],
  ['what runs through the capital of quelaria?', ['Zel River']],
  ['what kind of place is quelaria?', ['country', 'a country']],
];

const str = (name) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
/** pyarrow's list<T>: optional group (LIST) { repeated group list { <element> } } */
const list = (name, element) => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  ...element,
];
const group = (name, n) => ({ name, repetition_type: 'OPTIONAL', num_children: n });

const SEARCH_R1_SCHEMA = [
  { name: 'schema', num_children: 5 },
  str('data_source'),
  ...list('prompt', [group('element', 2), str('content'), str('role')]),
  str('ability'),
  group('reward_model', 2),
  group('ground_truth', 1),
  ...list('target', [str('element')]),
  str('style'),
  group('extra_info', 2),
  { name: 'index', type: 'INT64', repetition_type: 'OPTIONAL' },
  str('split'),
];

/** Rows as nq_search.py makes them; `edit(row, i)` may damage one. */
function searchR1(rows, edit = () => {}) {
  const data = rows.map(([q, answers], i) => {
    const row = {
      data_source: 'nq',
      prompt: [{ content: prefix(q), role: 'user' }],
      ability: 'fact-reasoning',
      reward_model: { ground_truth: { target: answers }, style: 'rule' },
      extra_info: { index: BigInt(i), split: 'train' },
    };
    edit(row, i);
    return row;
  });
  const col = (name) => ({ name, data: data.map((r) => r[name]) });
  return parquetWriteBuffer({
    columnData: ['data_source', 'prompt', 'ability', 'reward_model', 'extra_info'].map(col),
    schema: SEARCH_R1_SCHEMA,
  });
}

function flashRag(rows) {
  return parquetWriteBuffer({
    columnData: [
      { name: 'id', data: rows.map((_, i) => `train_${i}`) },
      { name: 'question', data: rows.map(([q]) => q) },
      { name: 'golden_answers', data: rows.map(([, a]) => a) },
    ],
    schema: [
      { name: 'schema', num_children: 3 },
      str('id'),
      str('question'),
      ...list('golden_answers', [str('element')]),
    ],
  });
}

const files = {
  // Valid.
  'nq-search-train.parquet': searchR1(QA),
  'flashrag-qa.parquet': flashRag(QA),
  // Search-R1's merged files (nq_hotpotqa_train) number each source from 0.
  'mixed-sources.parquet': searchR1(QA.slice(0, 4), (row, i) => {
    row.data_source = i < 2 ? 'nq' : 'hotpotqa';
    row.extra_info.index = BigInt(i % 2);
  }),
  // Broken.
  'truncated.parquet': new Uint8Array(searchR1(QA)).subarray(0, 700),
  'not-parquet.parquet': new TextEncoder().encode(
    '{"id": "q1", "question": "a JSON line", "golden_answers": ["x"]}\n',
  ),
  'missing-target.parquet': searchR1(QA, (row, i) => {
    if (i === 2) row.reward_model = { ground_truth: {}, style: 'rule' };
  }),
  'no-user-message.parquet': searchR1(QA, (row, i) => {
    if (i === 1) row.prompt = [{ content: 'You are a helpful assistant.', role: 'system' }];
  }),
  'empty-golden.parquet': flashRag(QA.map(([q, a], i) => [q, i === 1 ? [] : a])),
  'no-question-column.parquet': parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ['0', '1'], type: 'STRING' },
      {
        name: 'contents',
        data: ['"Ostrel"\nOstrel is a city.', '"Quelaria"\nQuelaria is a country.'],
        type: 'STRING',
      },
    ],
  }),
};

fs.mkdirSync(dir, { recursive: true });
for (const [name, buf] of Object.entries(files)) {
  const bytes = new Uint8Array(buf);
  fs.writeFileSync(path.join(dir, name), bytes);
  console.log(`${path.relative(root, path.join(dir, name))} (${bytes.length} bytes)`);
}
