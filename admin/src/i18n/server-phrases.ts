import type { MessageKey } from './en';

/**
 * How the console reads a sentence the server wrote (a ledger reason, an import's rejected
 * line): a fixed sentence is a label; a sentence with parts the server fills in is a label with
 * those parts kept as written. Shared by reasons.ts and import-messages.ts; plain functions, so
 * the tests load them without React.
 */
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** A sentence with parts: its pattern, its label, and the names of its captured parts in order. */
export type PhrasePattern = [RegExp, MessageKey, string[]];

/** The label `text` is (a fixed sentence, else the first pattern that matches), with its parts as written; null for other text. */
export function matchPhrase(
  text: string, fixed: Record<string, MessageKey>, patterns: readonly PhrasePattern[],
): { key: MessageKey; vars: Record<string, string> } | null {
  const key = fixed[text];
  if (key) return { key, vars: {} };
  for (const [pattern, label, names] of patterns) {
    const m = pattern.exec(text);
    if (m) return { key: label, vars: Object.fromEntries(names.map((n, i) => [n, m[i + 1]])) };
  }
  return null;
}
