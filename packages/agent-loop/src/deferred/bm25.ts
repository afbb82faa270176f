/**
 * Okapi BM25 over small documents (a tool's name, description and parameter
 * names), the ranking classic text retrieval uses: a term counts more when
 * it is rare across the catalog, with diminishing returns for repeats and a
 * penalty for long documents.
 */

const K1 = 1.2;
const B = 0.75;

/** Words of a text: identifiers split at `_`, `-`, `.`, `/` and camelCase, lower-cased, light stemming. */
export function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 1 && !STOP.has(word))
    .map(stem);
}

const STOP = new Set([
  "the",
  "and",
  "for",
  "with",
  "from",
  "that",
  "this",
  "are",
  "was",
  "any",
  "all",
  "its",
  "can",
  "use",
  "used",
  "into",
  "of",
  "to",
  "in",
  "on",
  "or",
  "an",
  "by",
  "is",
  "be",
  "as",
  "at",
  "it",
]);

/** Plurals and common endings, so "entities" meets "entity" and "created" meets "create". */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith("ing")) return word.slice(0, -3);
  if (word.length > 3 && word.endsWith("ed")) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("es") && !word.endsWith("ses")) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

export class Bm25Index {
  readonly #docs: Map<string, number>[] = [];
  readonly #lengths: number[] = [];
  readonly #frequency = new Map<string, number>();
  #average = 0;

  /** Adds a document as its tokens; returns its index. */
  add(tokens: string[]): number {
    const counts = new Map<string, number>();
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    for (const token of counts.keys())
      this.#frequency.set(token, (this.#frequency.get(token) ?? 0) + 1);
    this.#docs.push(counts);
    this.#lengths.push(tokens.length);
    this.#average = this.#lengths.reduce((a, b) => a + b, 0) / this.#lengths.length;
    return this.#docs.length - 1;
  }

  /** Indexes of the best `limit` documents for the query, best first; only documents that match. */
  search(query: string, limit: number): { index: number; score: number }[] {
    const terms = [...new Set(tokenize(query))];
    const n = this.#docs.length;
    const scored: { index: number; score: number }[] = [];
    this.#docs.forEach((counts, index) => {
      let score = 0;
      const length = this.#lengths[index] ?? 0;
      for (const term of terms) {
        const tf = counts.get(term);
        if (!tf) continue;
        const df = this.#frequency.get(term) ?? 0;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length) / (this.#average || 1)));
      }
      if (score > 0) scored.push({ index, score });
    });
    return scored.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, limit);
  }
}
