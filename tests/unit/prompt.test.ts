import { describe, expect, it } from 'vitest';
import { buildPrompt, normalizeQuestion, PAPER_SEARCH_TEMPLATE } from '../../src/engine/prompt';

describe('prompts', () => {
  it('strips the question and appends "?" when missing (Search-R1 make_prefix)', () => {
    expect(normalizeQuestion('  who founded Brimcorp ')).toBe('who founded Brimcorp?');
    expect(normalizeQuestion('Where?')).toBe('Where?');
  });
  it('keeps the paper template verbatim', () => {
    expect(buildPrompt('q', 'search', 'paper')).toBe(PAPER_SEARCH_TEMPLATE.replace('{q}', 'q?'));
  });
  it('inserts text literally: "$" patterns and "{q}" inside passages stay as they are', () => {
    expect(buildPrompt("Price is $' high", 'search', 'short')).toContain("Question: Price is $' high?");
    const rag = buildPrompt('Who?', 'rag', 'short', 'Doc 1 says {q} and $&');
    expect(rag).toContain('Doc 1 says {q} and $&');
    expect(rag).toContain('Question: Who?');
  });
});
