// Bandwidth rates and timetables: parsing, the rate at a moment (time passed in, fixed time
// zones so no DST moves a boundary), the schedule that turns the budget, and config errors
// that name file:line and the key.
import { describe, expect, it } from 'vitest';
import { BandwidthSchedule, parseBandwidth, parseRate, rateAt, TokenBucket, type Timetable } from '../../src/upload/index.js';
import { lines, parse, problems } from '../config/helpers.js';

const MB = 1e6;
function table(text: string): Timetable {
  const r = parseBandwidth(text);
  if ('problem' in r) throw new Error(r.problem);
  return r.table;
}
/** 2024-01-01 was a Monday: day 0 = Monday, in UTC. */
const at = (day: number, hhmm: string, sec = 0): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return Date.UTC(2024, 0, 1 + day, h!, m!, sec);
};
const rate = (t: Timetable, ms: number): number => rateAt(t, ms, 'UTC');

/** What parseBandwidth says of `text`: its problem, or 'accepted'. */
function bad(text: string): string {
  const r = parseBandwidth(text);
  return 'problem' in r ? r.problem : 'accepted';
}

describe('parseRate', () => {
  it('reads bytes (SI and IEC), bits, rclone suffixes and off', () => {
    expect(parseRate('40MB/s')).toEqual({ rate: 40e6 });
    expect(parseRate('40 MB/s')).toEqual({ rate: 40e6 });
    expect(parseRate('100Mbit/s')).toEqual({ rate: 12.5e6 });
    expect(parseRate('100Mbps')).toEqual({ rate: 12.5e6 });
    expect(parseRate('512KB/s')).toEqual({ rate: 512_000 });
    // Below 1 KB/s a part's request would sit silent past S3's RequestTimeout.
    expect(parseRate('1KB/s')).toEqual({ rate: 1000 });
    expect(parseRate('500B/s')).toEqual({ problem: "'500B/s' is below 1 KB/s, too slow for an upload to stay open; write off for no limit" });
    expect(parseRate('512KiB/s')).toEqual({ rate: 512 * 1024 });
    expect(parseRate('1.5GB/s')).toEqual({ rate: 1.5e9 });
    expect(parseRate('512k')).toEqual({ rate: 512 * 1024 });
    expect(parseRate('10M')).toEqual({ rate: 10 * 1024 * 1024 });
    expect(parseRate('off')).toEqual({ rate: Infinity });
    expect(parseRate('OFF')).toEqual({ rate: Infinity });
  });

  it('refuses a rate without a unit, an unknown unit, zero and junk, saying what is expected', () => {
    expect(parseRate('40')).toEqual({ problem: expect.stringContaining("'40' has no unit (e.g. 40MB/s") });
    expect(parseRate('40MX/s')).toEqual({ problem: expect.stringContaining("'MX/s' in '40MX/s' is not a unit") });
    expect(parseRate('0MB/s')).toEqual({ problem: expect.stringContaining('write off for no limit') });
    expect(parseRate('fast')).toEqual({ problem: expect.stringContaining("'fast' is not a rate") });
  });
});

describe('timetables', () => {
  const week = table('Mon-Fri 08:00,20MB/s 19:00,off Sat-Sun off');

  it('switches at the boundaries of each weekday, to the minute', () => {
    expect(rate(week, at(0, '07:59', 59))).toBe(Infinity);
    expect(rate(week, at(0, '08:00'))).toBe(20 * MB);
    expect(rate(week, at(2, '12:00'))).toBe(20 * MB);
    expect(rate(week, at(4, '18:59', 59))).toBe(20 * MB);
    expect(rate(week, at(4, '19:00'))).toBe(Infinity);
    expect(rate(week, at(5, '08:00'))).toBe(Infinity); // Saturday
    expect(rate(week, at(6, '23:59'))).toBe(Infinity);
  });

  it('before the first entry of a day, the previous day\'s last entry holds, round midnight and round the week', () => {
    const t = table('Mon-Sun 08:00,1MB/s 22:00,5MB/s');
    expect(rate(t, at(1, '21:59'))).toBe(1 * MB);
    expect(rate(t, at(1, '23:59', 59))).toBe(5 * MB);
    expect(rate(t, at(2, '00:00'))).toBe(5 * MB); // Wednesday after midnight: Tuesday 22:00 still
    expect(rate(t, at(2, '07:59'))).toBe(5 * MB);
    // Monday early: Sunday 22:00, the last point of the week, wraps round.
    expect(rate(t, at(0, '03:00'))).toBe(5 * MB);
    const fri = table('Fri 18:00,2MB/s Mon 06:00,off');
    expect(rate(fri, at(6, '12:00'))).toBe(2 * MB); // Sunday: Friday's entry
    expect(rate(fri, at(0, '05:59'))).toBe(2 * MB);
    expect(rate(fri, at(0, '06:00'))).toBe(Infinity);
  });

  it('entries without a day apply every day (rclone\'s form), and rclone\'s Day-HH:MM form works too', () => {
    const daily = table('08:00,512k 12:00,10M 13:00,512k 18:00,30M 23:00,off');
    expect(rate(daily, at(3, '12:30'))).toBe(10 * 1024 * 1024);
    expect(rate(daily, at(3, '23:30'))).toBe(Infinity);
    expect(rate(daily, at(4, '07:00'))).toBe(Infinity);
    const rc = table('Mon-00:00,512k Fri-23:59,10M Sat-10:00,1M Sun-20:00,off');
    expect(rate(rc, at(2, '10:00'))).toBe(512 * 1024);
    expect(rate(rc, at(4, '23:59'))).toBe(10 * 1024 * 1024);
    expect(rate(rc, at(5, '11:00'))).toBe(1024 * 1024);
    expect(rate(rc, at(6, '21:00'))).toBe(Infinity);
  });

  it('a single rate is the rate all week; a day range may wrap (Fri-Mon)', () => {
    const flat = table('40MB/s');
    expect(rate(flat, at(0, '00:00'))).toBe(40 * MB);
    expect(rate(flat, at(6, '23:59'))).toBe(40 * MB);
    const wrap = table('Tue-Thu 1MB/s Fri-Mon 2MB/s');
    expect(rate(wrap, at(0, '12:00'))).toBe(2 * MB);
    expect(rate(wrap, at(2, '12:00'))).toBe(1 * MB);
    expect(rate(wrap, at(6, '12:00'))).toBe(2 * MB);
  });

  it('reads the time in the given zone (fixed offsets: no DST)', () => {
    // 07:30 UTC Monday is 16:30 in Tokyo (UTC+9, no DST) and 02:30 in Lima (UTC-5, no DST).
    const t = table('Mon-Fri 08:00,20MB/s 16:00,1MB/s 19:00,off Sat-Sun off');
    expect(rateAt(t, at(0, '07:30'), 'UTC')).toBe(Infinity);
    expect(rateAt(t, at(0, '07:30'), 'Asia/Tokyo')).toBe(1 * MB);
    expect(rateAt(t, at(0, '07:30'), 'America/Lima')).toBe(Infinity); // Monday 02:30 there, before 08:00
    // Tokyo: Friday 23:00 UTC is Saturday 08:00 there.
    expect(rateAt(t, at(4, '23:00'), 'Asia/Tokyo')).toBe(Infinity);
    expect(rateAt(t, at(4, '23:00'), 'America/Lima')).toBe(1 * MB); // Friday 18:00 there
  });

  it('names the bad token', () => {
    expect(bad('Mon-Fri 25:00,1MB/s')).toContain("'25:00' in '25:00,1MB/s' is not a time of day");
    expect(bad('Mon-Fri 08:00,fast')).toContain("in timetable entry '08:00,fast'");
    expect(bad('Mon-Fry 08:00,1MB/s')).toContain("'Mon-Fry' is not a day or day range");
    expect(bad('Mon 08:00,1MB/s Mon 08:00,2MB/s')).toContain("sets the same moment twice (at '08:00,2MB/s')");
    expect(bad('Xyz-08:00,1M')).toContain("'Xyz' in 'Xyz-08:00,1M' is not a day");
    expect(bad('  ')).toContain('empty bandwidth');
  });

  it('refuses "20MB" without /s: rclone reads it as MiB/s, the units here as MB/s, and "Mb" is often bits', () => {
    expect(parseRate('20MB')).toEqual({ problem: "'20MB' is ambiguous: write 20MB/s (bytes, 1000-based), 20Mbit/s (bits) or rclone's 20M (MiB/s)" });
    expect(parseRate('512kb')).toEqual({ problem: expect.stringContaining("write 512KB/s (bytes, 1000-based), 512kbit/s (bits) or rclone's 512k (KiB/s)") });
    expect(parseBandwidth('Mon-Fri 08:00,20MB 19:00,off')).toEqual({ problem: expect.stringContaining("'20MB' is ambiguous") });
    // Spellings that mean one thing still work.
    expect(parseRate('20MiB')).toEqual({ rate: 20 * 1024 ** 2 });
    expect(parseRate('20Mbit')).toEqual({ rate: 2.5e6 });
  });

  it('refuses a day in two day groups, naming both groups and the day', () => {
    expect(bad('Mon-Fri 08:00,20MB/s 19:00,off Fri-Sun off')).toBe("day group 'Fri-Sun' overlaps 'Mon-Fri' (Fri is in both): give each day one group");
    expect(bad('Sat-Mon off Mon-Fri 08:00,1MB/s')).toContain("'Mon-Fri' overlaps 'Sat-Mon' (Mon is in both)");
    expect(bad('08:00,512k 19:00,off Sat-Sun off')).toContain("'Sat-Sun' overlaps the entries before any day, which apply every day (Sat is in both)");
    // One group written twice, disjoint groups and rclone's per-day form are fine.
    expect(bad('Mon-Fri 08:00,20MB/s Mon-Fri 19:00,off')).toBe('accepted');
    expect(bad('Mon-Fri 08:00,20MB/s 19:00,off Sat-Sun off')).toBe('accepted');
    expect(bad('Mon-08:00,512k Fri-19:00,off')).toBe('accepted');
    expect(bad('Mon-Fri 08:00,1M Mon-12:00,2M')).toBe('accepted');
  });
});

describe('BandwidthSchedule', () => {
  it('sets the budget at start and at each boundary it crosses, only when the rate changes', () => {
    const clock = { t: at(0, '07:59', 58), now() { return this.t; } };
    const bucket = new TokenBucket();
    const changes: number[] = [];
    const s = new BandwidthSchedule(table('Mon-Fri 08:00,20MB/s 19:00,off Sat-Sun off'), bucket, { clock, timeZone: 'UTC', everyMs: 60_000, onChange: (r) => changes.push(r) });
    try {
      expect(bucket.bytesPerSecond).toBe(Infinity);
      clock.t += 1000;
      s.apply();
      expect(bucket.bytesPerSecond).toBe(Infinity);
      clock.t += 1000; // 08:00:00
      s.apply();
      expect(bucket.bytesPerSecond).toBe(20 * MB);
      expect(bucket.maxGrant()).toBe(1024 * 1024);
      clock.t = at(0, '19:00');
      s.apply();
      s.apply();
      expect(bucket.bytesPerSecond).toBe(Infinity);
      expect(changes).toEqual([20 * MB, Infinity]);
    } finally {
      s.close();
    }
  });
});

describe('upload.bandwidth in the config', () => {
  it('is read as a timetable; off means no limit', () => {
    const base = ['watches:', '  - path: /in', '    folder_id: f1'];
    expect(parse(lines('upload:', '  bandwidth: 40MB/s', ...base)).upload.bandwidth).toEqual({ points: [{ minute: 0, rate: 40e6 }] });
    expect(parse(lines('upload:', '  bandwidth: "Mon-Fri 08:00,20MB/s 19:00,off Sat-Sun off"', ...base)).upload.bandwidth?.points).toHaveLength(12);
    expect(parse(lines('upload:', '  bandwidth: off', ...base)).upload.bandwidth).toBeUndefined();
    expect(parse(lines(...base)).upload.bandwidth).toBeUndefined();
  });

  it('a bad timetable is reported with file:line:col and the key', () => {
    const out = problems(lines('upload:', '  max_workers: 4', '  bandwidth: "Mon-Fri 08:00,20MB/s 7pm,off"', 'watches:', '  - path: /in', '    folder_id: f1'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^agent\.yaml:3:\d+ upload\.bandwidth: '7pm,off' is not a day or day range/);
  });

  it('overlapping day groups and "20MB" are reported on the bandwidth line', () => {
    const base = ['watches:', '  - path: /in', '    folder_id: f1'];
    const overlap = problems(lines('upload:', '  bandwidth: "Mon-Fri 08:00,20MB/s Fri-Sun off"', ...base));
    expect(overlap).toEqual([expect.stringMatching(/^agent\.yaml:2:\d+ upload\.bandwidth: day group 'Fri-Sun' overlaps 'Mon-Fri' \(Fri is in both\)/)]);
    const noPerSecond = problems(lines('upload:', '  max_files: 2', '  bandwidth: 20MB', ...base));
    expect(noPerSecond).toEqual([expect.stringMatching(/^agent\.yaml:3:\d+ upload\.bandwidth: '20MB' is ambiguous/)]);
  });

  it('a watch priority is read; 0 is the default', () => {
    const c = parse(lines('watches:', '  - path: /a', '    folder_id: f1', '    priority: 5', '  - path: /b', '    folder_id: f1'));
    expect(c.watches.map((w) => w.priority ?? 0)).toEqual([5, 0]);
  });
});

describe('TokenBucket default depth', () => {
  it('starts with one read of tokens and keeps 50 ms of the rate beyond it, so timers firing late lose nothing', async () => {
    const clock = { t: 0, now() { return this.t; }, sleep: () => new Promise<void>(() => undefined) };
    const b = new TokenBucket({ rate: 100e6, clock });
    const MiB = 1024 * 1024;
    expect(b.maxGrant()).toBe(MiB);
    let granted = 0;
    const take = (): void => void b.take(MiB).then(() => granted++);
    take();
    take();
    await Promise.resolve();
    expect(granted).toBe(1); // one grant to start with, not a burst
    // 60 ms late: 6 MB accrued; a bucket of one grant would have kept 1 MiB of it.
    clock.t += 60;
    for (let i = 0; i < 5; i++) take();
    b.setRate(100e6); // serves the waiters at the new time
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(granted).toBe(6);
  });
});
