/**
 * Answer-free reading practice that builds the base policy (SEARCH-R1.md §2-§3): demonstrations in the exact
 * rollout format, made from the corpus and from the training questions' *text* only.
 *  - cloze (1 hop): a passage sentence with a name span replaced by "what"; query = its other content words;
 *    answer = the span; kept only if the query retrieves the source passage.
 *  - chain (2 hops): passage A names the title of passage B; the question joins A's and B's clozes; search A's
 *    words, copy B's name from <information> into a second search, answer B's span.
 *  - question format: a training question's own text, its content words as the query, and a span taken from
 *    the retrieved passage as the answer, mostly from the sentence sharing the question's words; a second search
 *    mostly when the passage leaves question words unexplained (never the golden answer: it is not read here).
 * Builds token sequences and a generated-token mask; knows nothing of rewards or RL. Text helpers: practice-text.ts.
 */
import type { RolloutConfig } from './config';
import type { Retriever } from './retriever';
import type { Rng } from './rng';
import { searchAfter, type RolloutEnv, type Trajectory } from './rollout';
import {
  answerType,
  contentWords,
  distance,
  lowerCaseWords,
  nameSpans,
  replaceOnce,
  sentences,
  stem,
  wantsName,
} from './practice-text';
import { isContentWord, splitPieces } from './text';
import type { Passage, QAItem, RetrievedDoc } from './types';

/** How often question-format practice follows its hop heuristic (see PracticeBuilder.questionFormat). */
export const PRACTICE_HOP_FOLLOW = 0.9;
/** How often it answers from the sentence that best overlaps the question (otherwise any span of the passage). */
export const PRACTICE_READER_FOLLOW = 0.7;

/** A practice query: the first content words, few enough to fit one round with its tags. */
function queryOf(words: readonly string[], maxTurnTokens: number): string {
  return words.slice(0, Math.max(1, maxTurnTokens - 3)).join(' ');
}

/**
 * Passages about held-out entities: those whose title appears (as whole words) in a held-out question. Practice
 * never reads them, so the base cannot have rehearsed a test entity's facts (SEARCH-R1.md §3, run B). Only the
 * questions' text is used, never their answers.
 */
export function heldOutPassages(passages: readonly Passage[], heldOut: readonly QAItem[]): Set<string> {
  const grams = new Set<string>();
  for (const q of heldOut) {
    const w = splitPieces(q.question);
    for (let i = 0; i < w.length; i++)
      for (let n = 1; n <= 6 && i + n <= w.length; n++) grams.add(w.slice(i, i + n).join(' '));
  }
  const out = new Set<string>();
  for (const p of passages) {
    const title = splitPieces(p.title).join(' ');
    if (title.length >= 3 && grams.has(title)) out.add(p.id);
  }
  return out;
}

export interface Demo {
  question: string;
  /** Each step: a search query, or the final answer. */
  searches: string[];
  answer: string;
  kind: 'cloze' | 'chain' | 'question';
}

function retrieves(retriever: Retriever, query: string, id: string, topk: number): boolean {
  return retriever.search(query, topk).some((d) => d.id === id);
}

export class PracticeBuilder {
  private readonly byTitle = new Map<string, Passage>();
  private readonly lower: Set<string>;
  /** Passages each lower-case word occurs in (for answer words: "composer", "shipbuilding"). */
  private readonly df = new Map<string, number>();

  constructor(
    private readonly passages: readonly Passage[],
    private readonly questions: readonly QAItem[],
    private readonly retriever: Retriever,
    private readonly cfg: RolloutConfig,
    /** Passage ids never used to build practice (e.g. held-out entities' passages). */
    private readonly excluded: ReadonlySet<string> = new Set(),
  ) {
    for (const p of passages) this.byTitle.set(p.title.toLowerCase(), p);
    this.lower = lowerCaseWords(passages);
    for (const p of passages)
      for (const w of new Set(contentWords(p.text))) this.df.set(w, (this.df.get(w) ?? 0) + 1);
    this.allowed = passages.filter((p) => !excluded.has(p.id));
    if (!this.allowed.length) throw new Error('practice: every passage is excluded as held-out');
  }

  private readonly allowed: readonly Passage[];

  /** Name spans of a sentence that are real names (see lowerCaseWords). */
  names(sentence: string): string[] {
    return nameSpans(sentence).filter((span) =>
      span.split(' ').some((w) => /^\p{N}/u.test(w) || !this.lower.has(w.toLowerCase())),
    );
  }

  /**
   * Answer candidates of a sentence: its names, plus lower-case content words that are specific rather than
   * structural — in at most 5% of passages ("composer", "shipbuilding"; not "born", "river") — so practice also
   * rehearses answers that are ordinary words (professions, industries). `names`: the sentence's names, when the caller
   * already has them.
   */
  answers(sentence: string, names: readonly string[] = this.names(sentence)): string[] {
    const cap = Math.max(3, 0.05 * this.passages.length);
    const words = sentence
      .split(/\s+/)
      .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
      .filter((w) => /^\p{Ll}/u.test(w) && isContentWord(w) && (this.df.get(w) ?? 0) <= cap);
    return [...new Set([...names, ...words])];
  }

  private randomPassage(rng: Rng): Passage {
    return rng.pick(this.allowed);
  }

  cloze(rng: Rng): Demo | null {
    const p = this.randomPassage(rng);
    const s = rng.pick(sentences(p.text).length ? sentences(p.text) : [p.text]);
    // The passage's own title is an answer too ("Mouvrern Works is a publishing company founded by Krowai Krand."
    // → "what is a publishing company founded by krowai krand"), but only where the sentence names it: a title
    // prefixed to a sentence that does not would be asked about with the answer left out of the question's words.
    const namesTitle = s.toLowerCase().includes(p.title.toLowerCase());
    const spans = this.answers(s).filter((x) => namesTitle || x.toLowerCase() !== p.title.toLowerCase());
    if (!spans.length) return null;
    const span = rng.pick(spans);
    const withTitle = namesTitle ? s : `${p.title}: ${s}`;
    const question = replaceOnce(withTitle, span, 'what').replace(/[.!]\s*$/, '');
    const query = queryOf(contentWords(question), this.cfg.maxTurnTokens);
    if (!query || !retrieves(this.retriever, query, p.id, this.cfg.topk)) return null;
    return { question, searches: [query], answer: span, kind: 'cloze' };
  }

  chain(rng: Rng): Demo | null {
    const a = this.randomPassage(rng);
    for (const sa of rng.shuffle(sentences(a.text))) {
      for (const bridge of nameSpans(sa)) {
        const b = this.byTitle.get(bridge.toLowerCase());
        if (!b || b.id === a.id || this.excluded.has(b.id)) continue;
        const sbs = sentences(b.text).filter((x) =>
          this.answers(x).some((y) => y.toLowerCase() !== bridge.toLowerCase()),
        );
        if (!sbs.length) continue;
        const sb = rng.pick(sbs);
        const answer = rng.pick(this.answers(sb).filter((y) => y.toLowerCase() !== bridge.toLowerCase()));
        const aPart = replaceOnce(
          sa.toLowerCase().includes(a.title.toLowerCase()) ? sa : `${a.title}: ${sa}`,
          bridge,
          'the one',
        ).replace(/[.!]\s*$/, '');
        const bCloze = replaceOnce(sb, answer, 'what').replace(/[.!]\s*$/, '');
        const bRest = sb.toLowerCase().includes(bridge.toLowerCase())
          ? replaceOnce(bCloze, bridge, '')
          : bCloze;
        const question = `${bRest.trim()}, for the one in: ${aPart}`;
        const q1 = queryOf(contentWords(aPart), this.cfg.maxTurnTokens);
        const q2 = queryOf([...contentWords(bridge), ...contentWords(bRest)], this.cfg.maxTurnTokens);
        const docs1 = q1 ? this.search(q1) : [];
        if (!docs1.some((d) => d.id === a.id)) continue;
        if (!this.search(q2, docs1).some((d) => d.id === b.id)) continue;
        return { question, searches: [q1, q2], answer, kind: 'chain' };
      }
    }
    return null;
  }

  /**
   * A training question's text with a span of the retrieved passages as the answer (no golden answer is read).
   * Two answer-free reading heuristics shape it, each followed most of the time, not always, so the base still
   * explores and RL decides:
   *  - span: a word-overlap reader picks the sentence, among all retrieved passages, whose words (with its
   *    passage's title) cover the most question words weighted by rarity (idf), and answers with the span of it,
   *    not made of question words, that lies nearest a question word it matched — "Which city is the capital of
   *    Cook Islands?" → "Avarua is the capital of Cook Islands." (the rare "cook" outweighs "city" in "Honiara is
   *    the capital city of …");
   *  - hops: when that sentence leaves question words unexplained ("currency" in "the currency of the country whose
   *    capital is Minsk", answered "Minsk is the capital of Belarus."), a name read there plus the unexplained
   *    words form a second search, kept when its result explains some of them; the answer is then read there.
   *    Bridge names with a passage of their own come first.
   */
  questionFormat(rng: Rng): Demo | null {
    if (!this.questions.length) return null;
    const q = rng.pick(this.questions);
    const words = contentWords(q.question);
    const query = queryOf(words, this.cfg.maxTurnTokens);
    if (!query) return null;
    const docs = this.search(query);
    if (!docs.length || this.excluded.has(docs[0].id)) return null;
    const qWords = new Set(words);
    const nameOnly = wantsName(q.question);
    const first = this.read(docs, words, qWords, rng, nameOnly);
    if (!first) return null;
    if (this.cfg.mode === 'search' && this.cfg.maxTurns >= 2) {
      const rest = words.filter((w) => !first.explained.has(stem(w)));
      // "Which country …" asks for a country: when the span read has a passage of its own whose first sentence
      // does not call it one ("Fustovsa is a city in …"), the answer lies one hop further, through that span.
      const type = answerType(q.question);
      const own = type ? this.byTitle.get(first.span.toLowerCase()) : undefined;
      const typed = own !== undefined && !this.excluded.has(own.id);
      const wanted = typed
        ? !contentWords(sentences(own.text)[0] ?? '')
            .map(stem)
            .includes(stem(type!))
        : rest.length > 0;
      const inSentence = this.names(first.sentence);
      const bridges = typed
        ? [first.span]
        : !inSentence.filter((b) => !contentWords(b).every((w) => qWords.has(w))).length
          ? sentences(first.doc.text).flatMap((x) => this.names(x))
          : inSentence;
      const hops = this.secondHops(bridges, rest, qWords, rng, nameOnly, docs, first.doc);
      let hop = typed ? hops[0] : (hops.find((h) => h.explains) ?? hops[0]);
      // With fresh passages the same search again reads the next passage: the way back from a first passage
      // that names the question's entity but is about another one ("Lome is the capital of Togo." for "Which
      // subregion is Togo in?"). It stands in when no bridge's search explains the leftover words.
      if (!typed && this.cfg.freshPassages && rest.length && !hop?.explains) {
        const again = this.searchAgain(query, docs, rest, qWords, rng, nameOnly);
        if (again && (again.explains || !hop)) hop = again;
      }
      if (hop && rng.next() < (wanted ? PRACTICE_HOP_FOLLOW : 1 - PRACTICE_HOP_FOLLOW))
        return {
          question: q.question,
          searches: hop.query === null ? [query] : [query, hop.query],
          answer: hop.span,
          kind: 'question',
        };
    }
    return { question: q.question, searches: [query], answer: first.span, kind: 'question' };
  }

  /**
   * Candidate second searches: each bridge name (not made of question words) plus the question words left
   * unexplained, with the answer read from its result; `explains` when that result's evidence sentence covers
   * some of those words. At most three bridges are tried, in random order.
   */
  private secondHops(
    names: readonly string[],
    rest: readonly string[],
    qWords: ReadonlySet<string>,
    rng: Rng,
    nameOnly: boolean,
    seen: readonly Passage[],
    readFrom: Passage,
  ): { query: string | null; span: string; explains: boolean }[] {
    const candidates = names.filter((b) => !contentWords(b).every((w) => qWords.has(w)));
    // A hop goes through a name that has a passage of its own, when the sentence has one: a code or a number
    // ("ICAO", "6588") is a name to the reader but leads nowhere.
    const titled = candidates.filter((b) => this.byTitle.has(b.toLowerCase()));
    const bridges = titled.length ? titled : candidates;
    const out: { query: string | null; span: string; explains: boolean }[] = [];
    for (const bridge of rng.shuffle(bridges).slice(0, 3)) {
      const bridgeWords = contentWords(bridge);
      const own = this.byTitle.get(bridge.toLowerCase());
      // With fresh passages a bridge whose own passage the first search returned beside the one read (top-k > 1) is
      // read there: searching for it again would only find other passages. The demonstration then answers after
      // one search.
      const readAlready =
        this.cfg.freshPassages &&
        own !== undefined &&
        own.id !== readFrom.id &&
        seen.some((d) => d.id === own.id);
      const q2 = readAlready ? null : queryOf([...bridgeWords, ...rest], this.cfg.maxTurnTokens);
      const docs2 = q2 === null ? (own ? [own] : []) : this.search(q2, seen);
      if (!docs2.length || this.excluded.has(docs2[0].id)) continue;
      // With fresh passages a bridge whose only passage was read already leads to passages about other things
      // ("funafuti city" after "Funafuti is the capital of Tuvalu." finds Guatemala City): no hop through it.
      const named = (d: Passage) => `${d.title} ${d.text}`.toLowerCase().includes(bridge.toLowerCase());
      if (this.cfg.freshPassages && !docs2.some(named)) continue;
      // A leftover word that the bridge's own passage opens with names the bridge, not the answer: "country" in
      // "the capital of the country where Sturup Airport is", when Sweden's passage opens "Sweden is a country …".
      // The other leftover words are read first; only when no sentence explains them is the type word a cue too
      // ("Which subregion is the country with capital Kinshasa in?" is answered by "… is a country in Middle
      // Africa").
      const kind = own ? contentWords(sentences(own.text)[0] ?? '').map(stem) : [];
      const cues = rest.filter((w) => !kind.includes(stem(w)));
      const not = new Set([...qWords, ...bridgeWords]);
      const narrow =
        cues.length && cues.length < rest.length ? this.read(docs2, cues, not, rng, nameOnly) : null;
      const read =
        narrow && narrow.score > 0
          ? narrow
          : this.read(docs2, rest.length ? rest : bridgeWords, not, rng, nameOnly);
      if (read) out.push({ query: q2, span: read.span, explains: rest.length > 0 && read.score > 0 });
    }
    return out;
  }

  /** The first search again, after the passages it read (fresh passages only), with the answer read there. */
  private searchAgain(
    query: string,
    read: readonly Passage[],
    cues: readonly string[],
    qWords: ReadonlySet<string>,
    rng: Rng,
    nameOnly: boolean,
  ): { query: string; span: string; explains: boolean } | null {
    const docs = this.search(query, read);
    if (!docs.length || this.excluded.has(docs[0].id)) return null;
    const r = this.read(docs, cues, qWords, rng, nameOnly);
    return r && { query, span: r.span, explains: r.score > 0 };
  }

  /** A demonstration's search: the top-k passages after those it has read (RolloutConfig.freshPassages). */
  private search(query: string, read: readonly Passage[] = []): RetrievedDoc[] {
    return searchAfter(this.retriever, this.cfg, query, read);
  }

  /** Rarity weight of a word (BM25's idf over passage texts), for the reader's overlap scores. */
  private weight(word: string): number {
    const n = this.passages.length;
    const df = this.df.get(word) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /**
   * A word-overlap reader over retrieved passages (held-out ones are never read). Each sentence is scored by the
   * idf of the cue words (by stem) found in it or in its passage's title; usually (PRACTICE_READER_FOLLOW) the
   * answer is the span of the best sentence nearest a cue word — ties go to the higher-ranked passage — otherwise
   * any span of that sentence's passage. Spans made only of `not` words are skipped, and with `nameOnly` (the
   * question asks "who" or "where") so are ordinary words, as long as some name is left. Returns the span, its
   * sentence and score, and the stems the best sentence explains.
   */
  private read(
    docs: readonly Passage[],
    cues: readonly string[],
    not: ReadonlySet<string>,
    rng: Rng,
    nameOnly = false,
  ): { span: string; sentence: string; doc: Passage; explained: Set<string>; score: number } | null {
    const cueWeight = new Map<string, number>();
    for (const c of cues) cueWeight.set(stem(c), Math.max(cueWeight.get(stem(c)) ?? 0, this.weight(c)));
    type Read = {
      span: string;
      sentence: string;
      doc: Passage;
      explained: Set<string>;
      score: number;
      rank: number;
      /** Pieces between the span and the nearest cue word of its sentence (not a title word); Infinity if none. */
      near: number;
    };
    let all: Read[] = [];
    const names = new Set<string>();
    docs.forEach((doc, rank) => {
      if (this.excluded.has(doc.id)) return;
      const titleStems = contentWords(doc.title).map(stem);
      for (const sentence of sentences(doc.text)) {
        const pieces = splitPieces(sentence);
        const explained = new Set(
          [...titleStems, ...pieces.filter(isContentWord).map(stem)].filter((w) => cueWeight.has(w)),
        );
        const score = [...explained].reduce((sum, w) => sum + cueWeight.get(w)!, 0);
        const inSentence = this.names(sentence);
        for (const span of inSentence) names.add(span);
        const cueAt = pieces.flatMap((w, i) =>
          isContentWord(w) && cueWeight.has(stem(w)) && !titleStems.includes(stem(w)) ? [i] : [],
        );
        for (const span of this.answers(sentence, inSentence))
          if (!contentWords(span).every((w) => not.has(w)))
            all.push({ span, sentence, doc, explained, score, rank, near: distance(pieces, span, cueAt) });
      }
    });
    if (nameOnly && all.some((x) => names.has(x.span))) all = all.filter((x) => names.has(x.span));
    if (!all.length) return null;
    const best = Math.max(...all.map((x) => x.score));
    const top = all.filter((x) => x.score >= best - 1e-9);
    const firstRank = Math.min(...top.map((x) => x.rank));
    // Among the best sentences' spans, the one nearest a cue word: "Its capital is Paris." reads "Paris" for
    // "capital", and "… serves Poza Rico, in Mexico." reads "Poza Rico" for "serve".
    const first = top.filter((x) => x.rank === firstRank);
    const nearest = Math.min(...first.map((x) => x.near));
    const evidence = rng.pick(first.filter((x) => x.near === nearest));
    // What the best sentence explains decides the hop, whichever span is practised.
    const pick =
      best > 0 && rng.next() < PRACTICE_READER_FOLLOW
        ? evidence
        : rng.pick(all.filter((x) => x.rank === evidence.rank));
    return { ...pick, explained: evidence.explained };
  }

  /** A mixed demonstration: mostly cloze and chains, some question-format practice. */
  next(rng: Rng, mix = { cloze: 0.45, chain: 0.35 }): Demo {
    for (let tries = 0; tries < 200; tries++) {
      const u = rng.next();
      const d =
        u < mix.cloze
          ? this.cloze(rng)
          : u < mix.cloze + mix.chain
            ? this.chain(rng)
            : this.questionFormat(rng);
      if (d && (this.cfg.mode === 'search' || d.searches.length === 1)) return d;
    }
    throw new Error(
      'practice: the corpus yields no usable demonstrations (no capitalised name spans found?)',
    );
  }
}

/**
 * Render a demonstration as a trajectory in the rollout's exact token format:
 * prompt, then per search "<search> q </search>" + the real <information> block, then "<answer> a </answer>"
 * (generation stops at </answer>, so no <eos>). Returns null when a round would not fit the rollout's caps.
 * In non-search modes the searches are dropped and the answer follows the prompt (R1) or the RAG context.
 */
export function renderDemo(env: RolloutEnv, demo: Demo): Trajectory | null {
  const tok = env.tokenizer;
  const item: QAItem = { id: 'practice', question: demo.question, golden_answers: [] };
  const ids = env.promptIds(item);
  const promptLen = ids.length;
  const gen: number[] = ids.map(() => 0);
  const push = (t: number[], g: 0 | 1) => {
    for (const x of t) {
      ids.push(x);
      gen.push(g);
    }
  };
  if (env.cfg.mode === 'search') {
    const read: RetrievedDoc[] = [];
    for (const q of demo.searches.slice(0, env.cfg.maxTurns)) {
      const search = tok.encode(`<search> ${q} </search>`);
      if (search.length > env.cfg.maxTurnTokens) return null;
      push(search, 1);
      const docs = env.retrieve(q, read);
      read.push(...docs);
      push(env.informationTokens(docs), 0);
    }
  }
  const answer = tok.encode(`<answer> ${demo.answer} </answer>`);
  if (answer.length > env.cfg.maxTurnTokens) return null;
  push(answer, 1);
  if (ids.length > env.policy.cfg.contextLen) return null;
  return {
    item,
    ids,
    promptLen,
    gen,
    logp: ids.map(() => 0),
    roles: ids.map((_, i) => (i < promptLen ? 'prompt' : gen[i] ? 'text' : 'information')),
    response: tok.decode(ids.slice(promptLen)),
    searches: [],
    turns: demo.searches.length + 1,
    validActions: demo.searches.length + 1,
    validSearches: demo.searches.length,
    answered: true,
    answer: demo.answer,
    truncated: false,
  };
}
