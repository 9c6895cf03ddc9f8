import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { idleCoresBetween, idleQuotaBetween, parseCpuMax, parseCpuStatUsage, parseProcStat, type MachineTicks } from './cpu-load.rules';

/** A reading is over this interval at least: shorter ones are a few clock ticks, too coarse to tell. */
const SAMPLE_MS = 200;
/** A reading over a longer interval says little of now: it only starts the next one. */
const STALE_MS = 2_000;

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/**
 * How many cores' worth of CPU sat idle lately: the machine's (/proc/stat), or, when this
 * process's cgroup has a CPU quota (cgroup v2), the part of that quota left unused, whichever is
 * less. Read on demand, at most once per SAMPLE_MS, over the time since the reading before; null
 * where the kernel's counters cannot be read (not Linux), and at a first reading or one more
 * than STALE_MS after the one before.
 */
export class CpuLoad {
  private machine: { at: number; ticks: MachineTicks } | null = null;
  private cgroup: { at: number; usedUs: number } | null = null;
  private idle: number | null = null;
  private readonly cores = availableParallelism();
  private readonly quota = (() => {
    const max = readText('/sys/fs/cgroup/cpu.max');
    return max == null ? null : parseCpuMax(max);
  })();

  idleCores(now = Date.now()): number | null {
    if (this.machine && now - this.machine.at < SAMPLE_MS) return this.idle;
    const text = readText('/proc/stat');
    const ticks = text == null ? null : parseProcStat(text);
    if (!ticks) return null;
    const fresh = this.machine != null && now - this.machine.at <= STALE_MS;
    let idle = fresh ? idleCoresBetween(this.machine!.ticks, ticks, this.cores) : null;
    this.machine = { at: now, ticks };
    if (this.quota != null) {
      const stat = readText('/sys/fs/cgroup/cpu.stat');
      const usedUs = stat == null ? null : parseCpuStatUsage(stat);
      if (usedUs != null) {
        const left = fresh && this.cgroup ? idleQuotaBetween(this.cgroup.usedUs, usedUs, now - this.cgroup.at, this.quota) : null;
        if (left != null) idle = idle == null ? left : Math.min(idle, left);
        this.cgroup = { at: now, usedUs };
      }
    }
    this.idle = idle;
    return idle;
  }
}
