/**
 * Rule tags that read other tags (a filter's tagsAll / tagsAny / tagsNone): which read which,
 * the order to refresh them in, and the cycles to refuse. Pure functions.
 */

/** What a tag code may be: 1 to 64 of letters, digits, `_ . : -` (tagMember and upsertTag refuse any other). */
export const TAG_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;
export const TAG_CODE_RULE = 'tag codes use letters, digits, _ . : - only';

export const TAG_FILTER_FIELDS = ['tagsAll', 'tagsAny', 'tagsNone'] as const;
export type TagFilterField = (typeof TAG_FILTER_FIELDS)[number];
export type TagRule = Partial<Record<TagFilterField, readonly string[] | null>>;
export interface RuleTagDef { code: string; rule: TagRule }

/** The tag codes a rule reads, each with the first field that names it. */
export function tagsRead(rule: TagRule): { code: string; field: TagFilterField }[] {
  const seen = new Map<string, TagFilterField>();
  for (const field of TAG_FILTER_FIELDS) for (const code of rule[field] ?? []) if (!seen.has(code)) seen.set(code, field);
  return [...seen].map(([code, field]) => ({ code, field }));
}

/**
 * Rule tags in refresh order: each after every rule tag it reads (Kahn's algorithm, ties by
 * code, so the order is stable). Tags on a cycle (none can be saved; rows from before the
 * check) come last, by code. Reads of codes that are not rule tags (manual tags, unknown
 * codes) impose no order.
 */
export function refreshOrder(tags: readonly RuleTagDef[]): string[] {
  const codes = new Set(tags.map((t) => t.code));
  const waitingOn = new Map(tags.map((t) => [t.code, new Set(tagsRead(t.rule).map((d) => d.code).filter((c) => codes.has(c)))]));
  const order: string[] = [];
  let ready = [...waitingOn].filter(([, deps]) => deps.size === 0).map(([code]) => code).sort();
  while (ready.length) {
    const code = ready.shift()!;
    order.push(code);
    waitingOn.delete(code);
    const freed = [...waitingOn].filter(([, deps]) => deps.delete(code) && deps.size === 0).map(([c]) => c);
    ready = [...ready, ...freed].sort();
  }
  return [...order, ...[...waitingOn.keys()].sort()];
}

/** `code` and every rule tag that reads it, directly or through others: what a change of `code` can move. */
export function readersOf(tags: readonly RuleTagDef[], code: string): Set<string> {
  const found = new Set([code]);
  for (let grew = true; grew;) {
    grew = false;
    for (const t of tags) {
      if (!found.has(t.code) && tagsRead(t.rule).some((d) => found.has(d.code))) {
        found.add(t.code);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * Whether saving `code` with `rule` (among the other rule tags) closes a cycle: the field of
 * the rule that starts it and the cycle as codes (`code` … `code`), or null.
 */
export function cycleThrough(others: readonly RuleTagDef[], code: string, rule: TagRule): { field: TagFilterField; path: string[] } | null {
  const reads = new Map(others.filter((t) => t.code !== code).map((t) => [t.code, tagsRead(t.rule).map((d) => d.code)]));
  // A path from `from` back to `code`, depth first; `visited` keeps it linear in the graph.
  const visited = new Set<string>();
  const pathBack = (from: string): string[] | null => {
    if (from === code) return [code];
    if (visited.has(from)) return null;
    visited.add(from);
    for (const next of reads.get(from) ?? []) {
      const rest = pathBack(next);
      if (rest) return [from, ...rest];
    }
    return null;
  };
  for (const dep of tagsRead(rule)) {
    const path = pathBack(dep.code);
    if (path) return { field: dep.field, path: [code, ...path] };
  }
  return null;
}
