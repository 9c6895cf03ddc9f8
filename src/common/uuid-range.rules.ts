/**
 * The uuid key space cut into `parts` contiguous ranges by its first 32 bits, for a read split
 * by key (inSharedSnapshot): part k holds the uuids from its `low` to its `high`, both included,
 * and the parts together hold every uuid once. Random (v4) uuids fall evenly across them.
 */
export interface UuidRange { low: string; high: string }

const SPAN = 2 ** 32;

export function uuidRange(part: number, parts: number): UuidRange {
  if (!Number.isInteger(parts) || parts < 1 || parts > 256) throw new RangeError(`parts must be 1 … 256, not ${parts}`);
  if (!Number.isInteger(part) || part < 0 || part >= parts) throw new RangeError(`part must be 0 … ${parts - 1}, not ${part}`);
  const start = Math.floor((part * SPAN) / parts);
  const end = Math.floor(((part + 1) * SPAN) / parts) - 1;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return { low: `${hex(start)}-0000-0000-0000-000000000000`, high: `${hex(end)}-ffff-ffff-ffff-ffffffffffff` };
}
