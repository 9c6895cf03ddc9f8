/**
 * The CPU's load from the kernel's counters, as plain functions over their text: how many cores'
 * worth of time went idle between two readings, of the machine (/proc/stat) or of this
 * process's cgroup when it has a CPU quota (cgroup v2 `cpu.max` and `cpu.stat`).
 */

/** The machine's CPU time so far, in clock ticks: idle (idle + iowait) and in all. */
export interface MachineTicks { idle: number; total: number }

/** The first line of /proc/stat (`cpu  user nice system idle iowait irq softirq steal …`); null if it is not there. */
export function parseProcStat(text: string): MachineTicks | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  if (ticks.length < 4 || ticks.some((t) => !Number.isFinite(t))) return null;
  // guest and guest_nice (9th and 10th) are already counted in user and nice.
  const total = ticks.slice(0, 8).reduce((a, t) => a + t, 0);
  return { idle: ticks[3] + (ticks[4] ?? 0), total };
}

/** Cores' worth of idle time between two readings of a machine with `cores` cores; null if no time passed. */
export function idleCoresBetween(before: MachineTicks, after: MachineTicks, cores: number): number | null {
  const total = after.total - before.total;
  if (total <= 0) return null;
  return (Math.max(0, after.idle - before.idle) / total) * cores;
}

/** A cgroup's CPU quota in cores (`cpu.max`: "<quota> <period>" or "max <period>"); null when it has none. */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  const q = Number(quota);
  const p = Number(period);
  if (quota === 'max' || !(q > 0) || !(p > 0)) return null;
  return q / p;
}

/** The CPU microseconds a cgroup has used so far (`cpu.stat`: usage_usec); null if it is not there. */
export function parseCpuStatUsage(text: string): number | null {
  const m = /^usage_usec\s+(\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** Cores' worth of a quota left idle between two readings of usage (µs) `elapsedMs` apart; null if no time passed. */
export function idleQuotaBetween(usedBeforeUs: number, usedAfterUs: number, elapsedMs: number, quotaCores: number): number | null {
  if (elapsedMs <= 0) return null;
  const usedCores = Math.max(0, usedAfterUs - usedBeforeUs) / 1000 / elapsedMs;
  return Math.max(0, quotaCores - usedCores);
}
