import { canonicalTimeZone, dayNumber, dayOfNumber, isTimeZone, localDate, localDayNumber, localMonthBounds, startOfLocalDay } from './local-time.rules';

describe('programme-local days', () => {
  it('knows IANA zones and spells them canonically', () => {
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(canonicalTimeZone('asia/shanghai')).toBe('Asia/Shanghai');
    expect(canonicalTimeZone('US/Pacific')).toBe('America/Los_Angeles');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
  });

  it('answers IANA\'s current name where the runtime resolves to an older one, and that name keeps the same days', () => {
    for (const [given, name] of [['Asia/Kolkata', 'Asia/Kolkata'], ['Asia/Calcutta', 'Asia/Kolkata'], ['asia/kathmandu', 'Asia/Kathmandu'],
      ['Asia/Ho_Chi_Minh', 'Asia/Ho_Chi_Minh'], ['Europe/Kyiv', 'Europe/Kyiv'], ['Europe/Kiev', 'Europe/Kyiv'], ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
      ['Asia/Yangon', 'Asia/Yangon']]) {
      expect(canonicalTimeZone(given)).toBe(name);
      expect(isTimeZone(name)).toBe(true);
      const at = new Date('2026-03-01T18:30:00Z');
      expect(localDate(at, name)).toBe(localDate(at, given));
    }
  });

  it('puts 23:59 and 00:01 Shanghai time on different local days, one of them another UTC day', () => {
    // 2026-03-01 00:01 in Shanghai is 2026-02-28 16:01 UTC.
    expect(localDate(new Date('2026-02-28T16:01:00Z'), 'Asia/Shanghai')).toBe('2026-03-01');
    expect(localDate(new Date('2026-02-28T15:59:00Z'), 'Asia/Shanghai')).toBe('2026-02-28');
    expect(localDate(new Date('2026-02-28T16:01:00Z'), 'UTC')).toBe('2026-02-28');
    expect(localDayNumber(new Date('2026-02-28T16:01:00Z'), 'Asia/Shanghai') - localDayNumber(new Date('2026-02-28T15:59:00Z'), 'Asia/Shanghai')).toBe(1);
  });

  it('finds local midnight, across DST (New York: 23-hour and 25-hour days)', () => {
    expect(startOfLocalDay('2026-03-01', 'Asia/Shanghai').toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(startOfLocalDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(startOfLocalDay('2026-03-09', 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(startOfLocalDay('2026-11-01', 'America/New_York').toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(startOfLocalDay('2026-11-02', 'America/New_York').toISOString()).toBe('2026-11-02T05:00:00.000Z');
    // Where midnight itself is skipped (Santiago springs forward at 00:00), the day starts at 01:00.
    const s = startOfLocalDay('2026-09-06', 'America/Santiago');
    expect(localDate(s, 'America/Santiago')).toBe('2026-09-06');
    expect(localDate(new Date(s.getTime() - 1), 'America/Santiago')).toBe('2026-09-05');
  });

  it('numbers days so that consecutive local days differ by one', () => {
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(dayOfNumber(dayNumber('2028-02-29'))).toBe('2028-02-29');
    const a = localDayNumber(new Date('2026-03-08T04:59:00Z'), 'America/New_York');
    const b = localDayNumber(new Date('2026-03-08T05:00:00Z'), 'America/New_York');
    expect(b - a).toBe(1);
  });

  it('bounds a local month', () => {
    const { start, end } = localMonthBounds(new Date('2026-02-28T16:30:00Z'), 'Asia/Shanghai');
    expect(start.toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(end.toISOString()).toBe('2026-03-31T16:00:00.000Z');
  });

  it.each(['America/New_York', 'Asia/Shanghai', 'Australia/Lord_Howe', 'UTC'])(
    'bounds the local month of every instant, asked in order and out of order (the last month is remembered): %s', (zone) => {
      // Instants every 26 h 57 min over three years (across DST and month ends), then the same shuffled.
      const instants: number[] = [];
      for (let t = Date.parse('2025-01-01T00:00:00Z'); t < Date.parse('2028-01-01T00:00:00Z'); t += 97_000_000) instants.push(t);
      const shuffled = [...instants];
      for (let i = shuffled.length - 1, seed = 7; i > 0; i--) {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        const j = seed % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      for (const t of [...instants, ...shuffled]) {
        const { start, end } = localMonthBounds(new Date(t), zone);
        const month = localDate(new Date(t), zone).slice(0, 7);
        expect(start.getTime()).toBeLessThanOrEqual(t);
        expect(end.getTime()).toBeGreaterThan(t);
        expect(localDate(start, zone)).toBe(`${month}-01`);
        expect(localDate(new Date(start.getTime() - 1), zone).slice(0, 7)).not.toBe(month);
        expect(localDate(new Date(end.getTime() - 1), zone).slice(0, 7)).toBe(month);
        expect(localDate(end, zone).slice(8)).toBe('01');
      }
      // Each answer's dates are the caller's own: changing one does not change the next.
      const a = localMonthBounds(new Date('2026-05-10T00:00:00Z'), zone);
      a.start.setTime(0);
      expect(localMonthBounds(new Date('2026-05-11T00:00:00Z'), zone).start.getTime()).not.toBe(0);
    });
});

describe('days at the end of the calendar', () => {
  it('a day number after 9999-12-31 is written in full and read back', () => {
    // 9999-12-31T23:59:59Z, the last instant an input may name, is 10000-01-01 in Shanghai; a refresh asks for the day after its day.
    for (const n of [0, 1, 2_932_895, 2_932_896, 2_932_897, 2_932_898]) expect(dayNumber(dayOfNumber(n))).toBe(n);
    expect(dayOfNumber(2_932_896)).toBe('9999-12-31');
    expect(dayOfNumber(2_932_897)).toBe('10000-01-01');
    expect(localDate(new Date('9999-12-31T23:59:59Z'), 'Asia/Shanghai')).toBe('10000-01-01');
    expect(startOfLocalDay('10000-01-01', 'Asia/Shanghai').toISOString()).toBe('9999-12-31T16:00:00.000Z');
    expect(startOfLocalDay(dayOfNumber(2_932_898), 'UTC').getTime()).toBe(2_932_898 * 86_400_000);
  });
});
