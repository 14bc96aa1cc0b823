// Bandwidth limits as users write them: a rate ("40MB/s", "100Mbit/s", "512KiB/s", rclone's
// "10M", "off") or a weekly timetable in rclone's spirit, with day groups:
//   "Mon-Fri 08:00,20MB/s 19:00,off Sat-Sun off"
// A timetable is a list of change points in the week; the rate at a moment is the one set by
// the latest change point at or before it, wrapping round the week. Parsing returns a problem
// string (the config validator adds file:line:key); rateAt is pure, time passed in.

export type Rate = number; // bytes per second; Infinity = no limit

export interface Timetable {
  /** Sorted by minute of the week (Monday 00:00 = 0). */
  points: Array<{ minute: number; rate: Rate }>;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MIN_PER_DAY = 24 * 60;

// SI (KB = 1000) and IEC (KiB = 1024) bytes, bits (kbit, Mbps), and rclone's bare k/M/G (binary).
const UNITS: Record<string, number> = {
  'b/s': 1, 'bps': 1 / 8,
  'kb/s': 1e3, 'mb/s': 1e6, 'gb/s': 1e9,
  'kib/s': 1024, 'mib/s': 1024 ** 2, 'gib/s': 1024 ** 3,
  'kbit/s': 1e3 / 8, 'mbit/s': 1e6 / 8, 'gbit/s': 1e9 / 8,
  'kbps': 1e3 / 8, 'mbps': 1e6 / 8, 'gbps': 1e9 / 8,
  'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3,
};

const RATE_HINT = 'e.g. 40MB/s, 100Mbit/s, 512KiB/s, 10M or off';

/** Bytes per second, Infinity for off, or a problem. */
export function parseRate(text: string): { rate: Rate } | { problem: string } {
  const t = text.trim();
  if (/^(off|unlimited)$/i.test(t)) return { rate: Infinity };
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z/]*)$/.exec(t);
  if (!m) return { problem: `'${text}' is not a rate (${RATE_HINT})` };
  const unit = m[2]!;
  if (unit === '') return { problem: `'${text}' has no unit (${RATE_HINT})` };
  // "MB/s" and "mb/s" are bytes; only "bit"/"bps" mean bits.
  // "20MB" (no /s) is read two ways: rclone takes it as 20 MiB/s, the SI units here as 20 MB/s,
  // and "20Mb" often means megabits. Guessing could be off by 5 % or 8×: ask for a spelling
  // that means one thing.
  const size = /^([kmg])b$/i.exec(unit);
  if (size) {
    const [si, bits, rc, iec] = ({ k: ['KB/s', 'kbit/s', 'k', 'KiB/s'], m: ['MB/s', 'Mbit/s', 'M', 'MiB/s'], g: ['GB/s', 'Gbit/s', 'G', 'GiB/s'] } as const)[size[1]!.toLowerCase() as 'k' | 'm' | 'g'];
    const n = m[1]!;
    return { problem: `'${text}' is ambiguous: write ${n}${si} (bytes, 1000-based), ${n}${bits} (bits) or rclone's ${n}${rc} (${iec})` };
  }
  const factor = UNITS[unit.toLowerCase()] ?? UNITS[`${unit.toLowerCase()}/s`];
  if (factor === undefined) return { problem: `'${unit}' in '${text}' is not a unit (${RATE_HINT})` };
  const rate = Number(m[1]) * factor;
  // Slower, a part's request sends nothing for so long that S3 ends it (RequestTimeout, ~20 s).
  if (!(rate >= 1000)) return { problem: `'${text}' is below 1 KB/s, too slow for an upload to stay open; write off for no limit` };
  return { rate };
}

function dayIndex(s: string): number {
  return DAYS.indexOf(s.toLowerCase());
}

function dayRange(token: string): number[] | undefined {
  const m = /^([A-Za-z]{3})(?:-([A-Za-z]{3}))?$/.exec(token);
  if (!m) return undefined;
  const a = dayIndex(m[1]!);
  const b = m[2] === undefined ? a : dayIndex(m[2]);
  if (a < 0 || b < 0) return undefined;
  const out: number[] = [];
  for (let d = a; ; d = (d + 1) % 7) {
    out.push(d);
    if (d === b) break;
  }
  return out;
}

function clock(h: string, m: string): number | undefined {
  const hh = Number(h);
  const mm = Number(m);
  return hh <= 23 && mm <= 59 ? hh * 60 + mm : undefined;
}

/** A rate or a timetable; `problem` names the first bad token. */
export function parseBandwidth(text: string): { table: Timetable } | { problem: string } {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return { problem: `empty bandwidth (${RATE_HINT}, or a timetable like "Mon-Fri 08:00,20MB/s 19:00,off Sat-Sun off")` };
  if (tokens.length === 1 && !tokens[0]!.includes(',')) {
    const r = parseRate(tokens[0]!);
    return 'problem' in r ? r : { table: { points: [{ minute: 0, rate: r.rate }] } };
  }
  const byMinute = new Map<number, Rate>();
  const add = (minute: number, rate: Rate, token: string): string | undefined => {
    if (byMinute.has(minute)) return `timetable sets the same moment twice (at '${token}')`;
    byMinute.set(minute, rate);
    return undefined;
  };
  let days: number[] = [0, 1, 2, 3, 4, 5, 6];
  // Which group set each day's entries: a day in two groups ("Mon-Fri … Fri-Sun …") has two
  // sets of entries mixed by time, which is never what was meant. Entries before any group
  // apply every day (rclone's form), so a group after them overlaps too.
  let group = '';
  let groupUsed = false;
  const groupOf = new Map<number, string>();
  const claim = (): string | undefined => {
    if (groupUsed) return undefined;
    groupUsed = true;
    for (const d of days) {
      const other = groupOf.get(d);
      if (other !== undefined && other !== group) {
        const name = DAYS[d]!.charAt(0).toUpperCase() + DAYS[d]!.slice(1);
        const otherText = other === '' ? 'the entries before any day, which apply every day' : `'${other}'`;
        return `day group '${group || 'every day'}' overlaps ${otherText} (${name} is in both): give each day one group`;
      }
      groupOf.set(d, group);
    }
    return undefined;
  };
  for (const token of tokens) {
    const range = dayRange(token);
    if (range) {
      days = range;
      group = token;
      groupUsed = false;
      continue;
    }
    // rclone's own form: "Mon-08:00,512k" (from Monday 08:00).
    const rc = /^([A-Za-z]{3})-(\d{1,2}):(\d{2}),(.+)$/.exec(token);
    const entry = rc ? null : /^(\d{1,2}):(\d{2}),(.+)$/.exec(token);
    if (rc || entry) {
      const [h, m, rateText] = rc ? [rc[2]!, rc[3]!, rc[4]!] : [entry![1]!, entry![2]!, entry![3]!];
      const at = clock(h, m);
      if (at === undefined) return { problem: `'${h}:${m}' in '${token}' is not a time of day (00:00..23:59)` };
      const r = parseRate(rateText);
      if ('problem' in r) return { problem: `${r.problem} in timetable entry '${token}'` };
      const on = rc ? [dayIndex(rc[1]!)] : days;
      if (on[0]! < 0) return { problem: `'${rc![1]}' in '${token}' is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)` };
      const overlap = rc ? undefined : claim();
      if (overlap) return { problem: overlap };
      for (const d of on) {
        const p = add(d * MIN_PER_DAY + at, r.rate, token);
        if (p) return { problem: p };
      }
      continue;
    }
    const r = parseRate(token);
    if ('problem' in r) {
      return { problem: `'${token}' is not a day or day range (Mon-Fri), a time,rate pair (08:00,20MB/s) or a rate (${RATE_HINT})` };
    }
    // A bare rate after a day group: the whole of those days (from 00:00).
    const overlap = claim();
    if (overlap) return { problem: overlap };
    for (const d of days) {
      const p = add(d * MIN_PER_DAY, r.rate, token);
      if (p) return { problem: p };
    }
  }
  const points = [...byMinute].map(([minute, rate]) => ({ minute, rate })).sort((a, b) => a.minute - b.minute);
  return { table: { points } };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since Monday 00:00 in `timeZone` (an IANA name), or in the process's local time. */
export function minuteOfWeek(epochMs: number, timeZone?: string): number {
  if (timeZone === undefined) {
    const d = new Date(epochMs);
    return ((d.getDay() + 6) % 7) * MIN_PER_DAY + d.getHours() * 60 + d.getMinutes();
  }
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  let day = 0;
  let h = 0;
  let m = 0;
  for (const p of f.formatToParts(epochMs)) {
    if (p.type === 'weekday') day = DAYS.indexOf(p.value.toLowerCase());
    else if (p.type === 'hour') h = Number(p.value) % 24;
    else if (p.type === 'minute') m = Number(p.value);
  }
  return day * MIN_PER_DAY + h * 60 + m;
}

/** The rate in force at `epochMs`: the last change point at or before it, wrapping round the week. */
export function rateAt(table: Timetable, epochMs: number, timeZone?: string): Rate {
  const pts = table.points;
  if (pts.length === 0) return Infinity;
  const now = minuteOfWeek(epochMs, timeZone);
  let rate = pts[pts.length - 1]!.rate;
  for (const p of pts) {
    if (p.minute > now) break;
    rate = p.rate;
  }
  return rate;
}

/** "20 MB/s" / "off", for logs and status. */
export function describeRate(rate: Rate): string {
  if (rate === Infinity) return 'off';
  if (rate >= 1e6) return `${+(rate / 1e6).toFixed(2)} MB/s`;
  if (rate >= 1e3) return `${+(rate / 1e3).toFixed(2)} KB/s`;
  return `${Math.round(rate)} B/s`;
}
