// CPU time of process trees, from /proc (Linux): what each side of a run used, the handler's
// processes, PostgreSQL's and the load client's, so that a figure says where the machine's
// cores went. Elsewhere (no /proc) every reading is null and the figures print as "–".
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime, stime, cutime, cstime (clock ticks) and the parent pid of one process; null if it is gone. */
function stat(pid: number): { ticks: number; own: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based over the whole line.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number);
    return { ticks: utime + stime + cutime + cstime, own: utime + stime, ppid: Number(f[1]) };
  } catch {
    return null;
  }
}

/** The live children of a process. */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/**
 * CPU seconds used so far by a process and its descendants: the live ones, and (cutime,
 * cstime) those it has waited for, so backends that ended during a run still count.
 */
export function treeCpuSeconds(pid: number | undefined | null): number | null {
  if (!pid) return null;
  const s = stat(pid);
  if (!s) return null;
  let ticks = s.ticks;
  for (const child of childrenOf(pid)) ticks += (treeCpuSeconds(child) ?? 0) * TICKS;
  return ticks / TICKS;
}

/** CPU seconds of one process alone (a cluster worker). */
export function ownCpuSeconds(pid: number): number | null {
  const s = stat(pid);
  return s ? s.own / TICKS : null;
}

/** The parent of a process (the postmaster of a PostgreSQL backend). */
export function parentOf(pid: number): number | null {
  return stat(pid)?.ppid ?? null;
}
