// Whether a watch's review proxies can run on this machine: `sequences.proxy` set and ffmpeg on
// PATH. Said once at start (agent) and by `check` (CLI), in the same words.
import type { WatchConfig } from '../../config/types.js';

export interface ProxyAvailability {
  watch: string;
  /** The ffmpeg the proxies are rendered with; undefined: proxies are off. */
  ffmpeg: string | undefined;
  /** Why proxies are off, naming the watch; undefined when they are on. */
  problem: string | undefined;
}

/** One entry per watch with `sequences.proxy`. */
export function proxyAvailability(watches: readonly WatchConfig[], ffmpeg: string | undefined): ProxyAvailability[] {
  return watches
    .filter((w) => w.sequences?.proxy)
    .map((w) => ({
      watch: w.name,
      ffmpeg,
      problem: ffmpeg
        ? undefined
        : `watch '${w.name}': review proxies are off: sequences.proxy is set but ffmpeg is not on PATH (install it, e.g. \`apt-get install ffmpeg\`); ${
            w.sequences!.upload === 'proxy' ? 'the frames are uploaded instead (upload: proxy falls back to frames)' : 'the frames upload as usual'
          }`,
    }));
}
