// The per-watch `sequences:` settings as the rest of the agent reads them (camelCase), and the
// marker name template: "{name}.done" → the marker of sh010_comp is sh010_comp.done.
export interface SequencesConfig {
  /** quiet: no frame changed for quietSeconds; marker: the marker file appeared. */
  completeWhen: 'quiet' | 'marker';
  quietSeconds: number;
  /** Marker file name template beside the frames; `{name}` is the sequence name. */
  marker: string;
  /** upload: complete at once with the gaps reported; hold: wait for missing frames up to holdLimitSeconds. */
  onGaps: 'upload' | 'hold';
  holdLimitSeconds: number;
  /** A review movie of each completed sequence (rendered with ffmpeg); absent when off (the default). */
  proxy?: ProxyConfig;
  /**
   * What goes to Frame.io: frames (default), proxy (only the movie: frames are tracked to
   * completion but never uploaded, and stay in place), or both.
   */
  upload?: 'frames' | 'proxy' | 'both';
}

/** `sequences.proxy`: how the review movie is encoded. */
export interface ProxyConfig {
  /** h264 → `<name>_proxy.mp4` (libx264, yuv420p); prores → `<name>_proxy.mov` (ProRes 422 Proxy). */
  codec: 'h264' | 'prores';
  fps: number;
  /** Output width in pixels (height follows the aspect ratio); absent: the frames' own size. */
  width?: number;
}

export const MARKER_PLACEHOLDER = '{name}';

/** A message for a marker template that cannot work, else undefined (load-time check). */
export function markerProblem(tpl: string): string | undefined {
  if (!tpl.includes(MARKER_PLACEHOLDER)) return `marker '${tpl}' must contain {name} (e.g. "{name}.done")`;
  if (tpl.includes('/') || tpl.includes('\\')) return `marker '${tpl}' is a file name beside the frames: no '/'`;
  const rest = tpl.split(MARKER_PLACEHOLDER).join('');
  if (/[{}]/.test(rest)) return `marker '${tpl}': only {name} is a placeholder`;
  return undefined;
}

/** The marker file name of one sequence. */
export function markerName(tpl: string, name: string): string {
  return tpl.split(MARKER_PLACEHOLDER).join(name);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Tests a base name: is it the marker of some sequence? (Markers are never uploaded.) */
export function markerMatcher(tpl: string): (baseName: string) => boolean {
  const re = new RegExp(`^${tpl.split(MARKER_PLACEHOLDER).map(escape).join('.+')}$`);
  return (base) => re.test(base);
}
