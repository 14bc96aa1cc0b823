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

/**
 * Placeholders whose value differs from file to file ({date} is the time of each mark). A metadata
 * value using one cannot share a bulk call with other files.
 */
export const PER_FILE_PLACEHOLDERS: readonly string[] = ['name', 'path', 'size', 'date'];

/** The per-file placeholders a template uses, in the order written (e.g. ['path']). */
export function perFilePlaceholders(template: string): string[] {
  const found = new Set<string>();
  for (const m of template.matchAll(/\{(\w+)\}/g)) if (PER_FILE_PLACEHOLDERS.includes(m[1]!)) found.add(m[1]!);
  return [...found];
}

/**
 * The cost of per-file metadata, said before it bites: Frame.io allows 10 bulk metadata updates a
 * minute and one call sets the same values on many files, so files whose values differ each need a
 * call of their own. One line per such field, '' when none.
 */
export function perFileMetadataNotes(watch: string, metadata: ReadonlyArray<{ field: string; value: string }> | undefined): string[] {
  return (metadata ?? []).flatMap((m) => {
    const p = perFilePlaceholders(m.value);
    if (p.length === 0) return [];
    return [
      `watch '${watch}': metadata '${m.field}' is per file (${p.map((x) => `{${x}}`).join(', ')}): one bulk call per file, so 10 files a minute at Frame.io's limits (values the same for every file batch up to 100 files a call)`,
    ];
  });
}
