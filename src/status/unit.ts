// A job's unit as people read it. Most jobs are one file and say nothing more; a job that stands
// for a group (a sequence's review proxy stands for its frames) says which group, beside its path.
import type { Job, JobUnit } from '../journal/index.js';

export type GroupUnit = Extract<JobUnit, { kind: 'group' }>;

/** The group a job stands for, as `status --json` and the API carry it; absent for one file. */
export function groupOf(j: Pick<Job, 'unit'>): { unit: GroupUnit; stands_for: string } | Record<string, never> {
  return j.unit.kind === 'group' ? { unit: j.unit, stands_for: describeUnit(j.unit) } : {};
}

/**
 * "proxy of sh010_comp 1001–1240 (238 frames)": the group's short name (a sequence's name without
 * its directory, frame digits and extension), the span of its members and how many there are: a
 * count below the span's length says frames are missing without listing every gap.
 */
export function describeUnit(u: GroupUnit): string {
  const base = u.name.slice(u.name.lastIndexOf('/') + 1);
  const short = u.of === 'sequence' ? base.replace(/[._-]?#+\.[^.]*$/, '') : base;
  const bounds = u.members.split(/[,-]/).filter((s) => s !== '');
  const span = bounds.length === 0 ? '' : bounds[0] === bounds[bounds.length - 1] ? ` ${bounds[0]}` : ` ${bounds[0]}–${bounds[bounds.length - 1]}`;
  const what = u.of === 'sequence' ? 'frame' : 'file';
  return `proxy of ${short}${span} (${u.count} ${what}${u.count === 1 ? '' : 's'})`;
}
