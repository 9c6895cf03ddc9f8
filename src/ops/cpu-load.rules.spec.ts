import { idleCoresBetween, idleQuotaBetween, parseCpuMax, parseCpuStatUsage, parseProcStat } from './cpu-load.rules';

describe('cpu-load rules', () => {
  const STAT = (user: number, idle: number, iowait = 0) =>
    `cpu  ${user} 0 100 ${idle} ${iowait} 0 50 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 12345\n`;

  it('reads the machine line of /proc/stat: idle with iowait, total without guest time', () => {
    expect(parseProcStat(STAT(1000, 5000, 20))).toEqual({ idle: 5020, total: 1000 + 100 + 5000 + 20 + 50 });
    expect(parseProcStat('cpu0 1 2 3 4\n')).toBeNull();
    expect(parseProcStat('cpu  1 x 3 4\n')).toBeNull();
  });

  it('idle cores between two readings: the idle share of the ticks, times the cores', () => {
    const a = parseProcStat(STAT(1000, 5000))!;
    // 200 ticks passed, 50 of them idle, on 2 cores: a quarter of the time idle, half a core.
    const b = parseProcStat(STAT(1150, 5050))!;
    expect(idleCoresBetween(a, b, 2)).toBeCloseTo(0.5);
    expect(idleCoresBetween(a, a, 2)).toBeNull();
  });

  it('a cgroup quota in cores, none when "max"', () => {
    expect(parseCpuMax('150000 100000\n')).toBe(1.5);
    expect(parseCpuMax('max 100000\n')).toBeNull();
    expect(parseCpuMax('')).toBeNull();
    expect(parseCpuStatUsage('usage_usec 123456\nuser_usec 1\n')).toBe(123456);
    expect(parseCpuStatUsage('user_usec 1\n')).toBeNull();
  });

  it('the quota left idle: the quota less the cores used over the interval, never below 0', () => {
    // 150 ms of CPU in 100 ms is 1.5 cores used: of a 2-core quota, 0.5 left.
    expect(idleQuotaBetween(0, 150_000, 100, 2)).toBeCloseTo(0.5);
    expect(idleQuotaBetween(0, 300_000, 100, 2)).toBe(0);
    expect(idleQuotaBetween(0, 1, 0, 2)).toBeNull();
  });
});
