/**
 * Shipped corpora in the worker: fetching a corpus's three files (corpus, train, test), validating them
 * (engine/data.ts) and indexing the passages for search; and the hop filter a run applies to its questions.
 * Uploaded corpora are parsed by upload.ts; train.worker.ts caches both by name. Knows the engine's data loading;
 * nothing of runs or the page.
 */
import { defaultRolloutConfig } from '../engine/config';
import { parseCorpus, parseQA } from '../engine/data';
import type { Retriever } from '../engine/retriever';
import { buildRetriever, type Dataset } from '../engine/session';
import type { QAItem } from '../engine/types';
import type { CorpusInfo } from './protocol';

export interface LoadedCorpus {
  info: CorpusInfo;
  data: Dataset;
  /** The search engine over `data.corpus` at BM25 k1 = `k1`, shared by runs and the search inspector. */
  retriever(k1: number): Retriever;
}

/**
 * A corpus ready for runs: its passages are indexed now at the default k1. Another k1 is indexed on first use and
 * kept until a third value is asked for, so trying values one after another holds at most two indexes.
 */
export function indexedCorpus(info: CorpusInfo, data: Dataset): LoadedCorpus {
  const k1Default = defaultRolloutConfig().bm25K1;
  const atDefault = buildRetriever(data.corpus, k1Default);
  let other: { k1: number; retriever: Retriever } | null = null;
  const retriever = (k1: number): Retriever => {
    if (k1 === k1Default) return atDefault;
    if (other?.k1 !== k1) other = { k1, retriever: buildRetriever(data.corpus, k1) };
    return other.retriever;
  };
  return { info, data, retriever };
}

async function fetchText(url: URL): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname}: HTTP ${res.status}`);
  return res.text();
}

/** Fetch and validate a shipped corpus (all three files) and index it for search. */
export async function loadCorpus(baseUrl: string, info: CorpusInfo): Promise<LoadedCorpus> {
  const dir = new URL('corpus/', baseUrl);
  const [c, tr, te] = await Promise.all(
    [info.corpus, info.train, info.test].map((f) => fetchText(new URL(f, dir))),
  );
  const data: Dataset = {
    corpus: parseCorpus(c, info.corpus),
    train: parseQA(tr, info.train),
    test: parseQA(te, info.test),
  };
  return indexedCorpus(info, data);
}

/** Questions with the chosen number of hops (0 = all); a readable error when none are left. */
export function byHops(items: QAItem[], hops: number, what: string): QAItem[] {
  if (!hops) return items;
  const out = items.filter((q) => q.hops === hops);
  if (!out.length) throw new Error(`the ${what} split has no ${hops}-hop questions: choose "hops 0 (all)"`);
  return out;
}
