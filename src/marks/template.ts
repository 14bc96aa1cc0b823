// The placeholders of comment and metadata templates. Pure: the facts come in, text goes out.
import { formatBytes } from '../util/format.js';

export interface MarkFacts {
  name: string;
  /** Relative to the watch folder, with forward slashes. */
  path: string;
  host: string;
  watch: string;
  size: number;
  date: Date;
}

export function renderMark(template: string, f: MarkFacts): string {
  const values: Record<string, string> = {
    name: f.name,
    path: f.path,
    host: f.host,
    watch: f.watch,
    size: formatBytes(f.size),
    date: f.date.toISOString(),
  };
  // Unknown placeholders stay as written, so a typo shows in Frame.io instead of vanishing.
  return template.replace(/\{(\w+)\}/g, (all, k: string) => values[k] ?? all);
}
