/**
 * Plain data shapes shared across the engine, the worker protocol and the CLI. No logic here.
 */

/** One corpus passage. `contents` is the raw Search-R1 form: "\"Title\"\ntext". */
export interface Passage {
  id: string;
  title: string;
  text: string;
  contents: string;
}

/** One QA item (FlashRAG style). `hops` is optional metadata (1 or 2) used to split metrics. */
export interface QAItem {
  id: string;
  question: string;
  golden_answers: string[];
  hops?: number;
}

/** A retrieved passage with its relevance score (higher is better). */
export interface RetrievedDoc {
  id: string;
  title: string;
  text: string;
  contents: string;
  score: number;
}
