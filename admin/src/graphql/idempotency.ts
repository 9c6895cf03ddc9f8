/**
 * A new idempotency key, one per opened form: a double submit, or a save again after an answer
 * that never came, is the same write (domain.md: the same key and payload return the first result).
 */
export function newKey(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
