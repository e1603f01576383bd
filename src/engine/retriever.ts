/**
 * The search engine the policy calls: FlexSearch finds candidates, our own BM25 ranks them, and the result is
 * formatted exactly as Search-R1's `<information>` observation.
 *
 * - Terms: text.ts `splitWords` over "title text" (lower-cased words/numbers, no stemming, punctuation dropped).
 *   Query terms additionally drop STOPWORDS and duplicates.
 * - Candidates: one exact-term FlexSearch lookup per query term (an OR over terms, not FlexSearch's default AND),
 *   rarest term first, until `maxCandidates` passages are collected. FlexSearch ranks by word position and returns
 *   no scores (shared/TFJS-NOTES.md "Retrieval"), so it only proposes.
 * - Ranking: Okapi BM25 (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework: BM25 and Beyond"),
 *   Lucene's non-negative idf:
 *     idf(t)      = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
 *     score(q, d) = Σ_{t ∈ q} idf(t) · tf(t,d)·(k1 + 1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))
 *   |d| = number of word tokens (stopwords included) in title + text; k1 = 1.2 and b = 0.75 unless given (runs
 *   pass their RolloutConfig.bm25K1).
 *   Ties keep corpus order.
 * - Formatting: Search-R1 `_passages2string` (search_r1/llm_agent/generation.py); the title is the first line of
 *   `contents`, quotes included. Plus the `/retrieve` JSON shape of its retrieval_server.py.
 *
 * Synchronous, no workers, no DOM / Node APIs: it runs inside the training Web Worker.
 */
import { Encoder, Index } from 'flexsearch';
import type { Passage, RetrievedDoc } from './types';
import { isContentWord, splitWords } from './text';

export interface RetrieverOptions {
  /** BM25 term-frequency saturation. Default 1.2. */
  k1?: number;
  /** BM25 length normalisation. Default 0.75. */
  b?: number;
  /** Cap on the candidates re-ranked per query. Default 1000. */
  maxCandidates?: number;
}

/** One query term's share of a passage's BM25 score (for the UI's search inspector). */
export interface TermContribution {
  term: string;
  /** Occurrences of the term in the passage (title + text). */
  tf: number;
  /** Passages containing the term. */
  df: number;
  idf: number;
  /** idf · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)); 0 when tf = 0. */
  score: number;
}

export interface Explanation {
  passageId: string;
  /** Query terms after normalisation and stopword removal, in query order. */
  terms: TermContribution[];
  score: number;
  /** Passage length in word tokens, and the corpus mean. */
  dl: number;
  avgdl: number;
  k1: number;
  b: number;
}

export class Retriever {
  private readonly passages: Passage[];
  private readonly k1: number;
  private readonly b: number;
  private readonly maxCandidates: number;
  private readonly index: Index;
  /** Per passage: term → count. */
  private readonly tf: Map<string, number>[];
  /** Per passage: BM25 length-norm denominator part k1·(1 − b + b·dl/avgdl). */
  private readonly norm: Float64Array;
  private readonly dl: Int32Array;
  private readonly avgdl: number;
  private readonly df = new Map<string, number>();
  /** Our own postings for fast BM25 accumulation: term → passage indices (ascending) and their counts. */
  private readonly postings = new Map<string, { docs: Int32Array; tfs: Int32Array }>();
  /** Per-query scratch: candidate stamp and score accumulator, reused across queries. */
  private readonly stamp: Int32Array;
  private readonly acc: Float64Array;
  private epoch = 0;

  constructor(passages: Passage[], opts: RetrieverOptions = {}) {
    this.passages = passages.slice();
    this.k1 = opts.k1 ?? 1.2;
    this.b = opts.b ?? 0.75;
    this.maxCandidates = opts.maxCandidates ?? 1000;
    // Our terms are already normalised and space-joined: FlexSearch must only split on spaces.
    this.index = new Index({
      tokenize: 'strict',
      encoder: new Encoder({ normalize: false, split: ' ', numeric: false, dedupe: false, minlength: 1 }),
    });
    const n = this.passages.length;
    this.tf = new Array<Map<string, number>>(n);
    this.dl = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const p = this.passages[i];
      const words = splitWords(`${p.title} ${p.text}`);
      const counts = new Map<string, number>();
      for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const w of counts.keys()) this.df.set(w, (this.df.get(w) ?? 0) + 1);
      this.tf[i] = counts;
      this.dl[i] = words.length;
      total += words.length;
      if (counts.size > 0) this.index.add(i, [...counts.keys()].join(' '));
    }
    this.avgdl = n > 0 ? total / n : 0;
    const lists = new Map<string, number[]>(); // term → [doc, tf, doc, tf, ...]
    for (let i = 0; i < n; i++) {
      for (const [w, c] of this.tf[i]) {
        let l = lists.get(w);
        if (l === undefined) lists.set(w, (l = []));
        l.push(i, c);
      }
    }
    for (const [w, l] of lists) {
      const docs = new Int32Array(l.length / 2);
      const tfs = new Int32Array(l.length / 2);
      for (let j = 0; j < docs.length; j++) {
        docs[j] = l[2 * j];
        tfs[j] = l[2 * j + 1];
      }
      this.postings.set(w, { docs, tfs });
    }
    this.stamp = new Int32Array(n);
    this.acc = new Float64Array(n);
    this.norm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const rel = this.avgdl > 0 ? this.dl[i] / this.avgdl : 0;
      this.norm[i] = this.k1 * (1 - this.b + this.b * rel);
    }
  }

  get size(): number {
    return this.passages.length;
  }

  /** Query → BM25 terms: normalised words, stopwords dropped, first occurrence kept. */
  queryTerms(query: string): string[] {
    return [...new Set(splitWords(query).filter(isContentWord))];
  }

  /** BM25 idf of a term (Lucene form, always ≥ 0). */
  idf(term: string): number {
    const n = this.passages.length;
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /**
   * Top-k passages by BM25, score descending, ties in corpus order. [] for an empty / stopword-only query.
   * Passages whose id is in `skip` are passed over (RolloutConfig.freshPassages: those a rollout has read).
   */
  search(query: string, topk: number, skip?: ReadonlySet<string>): RetrievedDoc[] {
    topk = Math.floor(topk);
    if (!(topk > 0) || this.passages.length === 0) return [];
    const terms = this.queryTerms(query).filter((t) => this.df.has(t));
    if (terms.length === 0) return [];
    terms.sort((a, b) => this.df.get(a)! - this.df.get(b)! || (a < b ? -1 : 1)); // rarest first
    const idfs = terms.map((t) => this.idf(t));

    // Candidates: OR over per-term FlexSearch lookups, rarest term first, capped.
    const epoch = ++this.epoch;
    const { stamp, acc } = this;
    let nCand = 0;
    for (const t of terms) {
      if (nCand >= this.maxCandidates) break;
      const ids = this.index.search(t, { limit: this.maxCandidates }) as number[];
      for (const id of ids) {
        if (nCand >= this.maxCandidates) break;
        if (stamp[id] !== epoch) {
          stamp[id] = epoch;
          acc[id] = 0;
          nCand++;
        }
      }
    }

    // BM25 over the candidates, accumulated term by term from our postings.
    const k1p1 = this.k1 + 1;
    const norm = this.norm;
    for (let j = 0; j < terms.length; j++) {
      const { docs, tfs } = this.postings.get(terms[j])!;
      const idf = idfs[j];
      for (let m = 0; m < docs.length; m++) {
        const i = docs[m];
        if (stamp[i] === epoch) acc[i] += (idf * tfs[m] * k1p1) / (tfs[m] + norm[i]);
      }
    }

    // Top-k by one pass in corpus order, insertion into a sorted list of at most k; a later passage never
    // overtakes an equal score, so ties keep corpus order.
    const k = Math.min(topk, nCand);
    if (k === 0) return [];
    const top: { i: number; s: number }[] = [];
    for (let i = 0; i < stamp.length; i++) {
      if (stamp[i] !== epoch || skip?.has(this.passages[i].id)) continue;
      const s = acc[i];
      if (top.length === k && s <= top[k - 1].s) continue;
      let pos = top.length === k ? k - 1 : top.length;
      while (pos > 0 && top[pos - 1].s < s) pos--;
      if (top.length === k) top.pop();
      top.splice(pos, 0, { i, s });
    }
    return top.map(({ i, s }) => {
      const p = this.passages[i];
      return { id: p.id, title: p.title, text: p.text, contents: p.contents, score: s };
    });
  }

  /** Per-term BM25 contributions of one passage (first passage with that id); null if the id is unknown. */
  explain(query: string, passageId: string): Explanation | null {
    const i = this.passages.findIndex((p) => p.id === passageId);
    if (i < 0) return null;
    const counts = this.tf[i];
    const terms = this.queryTerms(query).map((term): TermContribution => {
      const tf = counts.get(term) ?? 0;
      const idf = this.idf(term);
      const score = tf > 0 ? (idf * tf * (this.k1 + 1)) / (tf + this.norm[i]) : 0;
      return { term, tf, df: this.df.get(term) ?? 0, idf, score };
    });
    return {
      passageId,
      terms,
      score: terms.reduce((a, t) => a + t.score, 0),
      dl: this.dl[i],
      avgdl: this.avgdl,
      k1: this.k1,
      b: this.b,
    };
  }
}

/**
 * The inner block of Search-R1's `<information>` observation (generation.py `_passages2string`, then `.strip()`):
 *   "Doc 1(Title: \"T\") text\nDoc 2(Title: \"T\") text…"
 * Title = first line of `contents` (quotes kept), text = the remaining lines.
 * The caller wraps it: `\n\n<information>${formatInformation(docs)}</information>\n\n`.
 */
export function formatInformation(docs: readonly RetrievedDoc[]): string {
  let out = '';
  docs.forEach((d, idx) => {
    const lines = d.contents.split('\n');
    const title = lines[0];
    const text = lines.slice(1).join('\n');
    out += `Doc ${idx + 1}(Title: ${title}) ${text}\n`;
  });
  return out.trim();
}

/** A request to Search-R1's retrieval server, `POST /retrieve`. */
export interface RetrieveRequest {
  queries: string[];
  topk: number;
  return_scores: boolean;
}

/** A corpus row as the server returns it. */
export interface RetrieveDocument {
  id: string;
  contents: string;
}

export interface RetrieveResponse {
  /** One list per query: `{document, score}` pairs if `return_scores`, else bare documents. */
  result: Array<Array<{ document: RetrieveDocument; score: number }> | RetrieveDocument[]>;
}

/** Answer a `/retrieve` request in the shape of Search-R1's retrieval_server.py. */
export function retrieveApi(retriever: Retriever, req: RetrieveRequest): RetrieveResponse {
  return {
    result: req.queries.map((q) => {
      const docs = retriever.search(q, req.topk);
      return req.return_scores
        ? docs.map((d) => ({ document: { id: d.id, contents: d.contents }, score: d.score }))
        : docs.map((d) => ({ id: d.id, contents: d.contents }));
    }),
  };
}
