// The `tag` action: a `<name>.frameio.json` beside the original records what Frame.io holds,
// so people (and the agent, even without its journal) can tell the file is already uploaded.
import fs from 'node:fs/promises';

export interface Sidecar {
  frameio_file_id: string;
  view_url: string | null;
  folder_id: string | null;
  name: string;
  size: number;
  mtime: string;
  uploaded_at: string;
  verified_at: string;
  agent: string;
}

export function sidecarPath(filePath: string): string {
  return `${filePath}.frameio.json`;
}

export async function writeSidecar(filePath: string, data: Sidecar): Promise<string> {
  const target = sidecarPath(filePath);
  const tmp = `${target}.tmp-${process.pid}`;
  await fs.writeFile(tmp, JSON.stringify(data, null, 2) + '\n');
  await fs.rename(tmp, target);
  return target;
}

/** The sidecar of this exact version of the file, or undefined (missing, unreadable, or another version). */
export async function readMatchingSidecar(filePath: string, size: number, mtimeMs: number): Promise<Sidecar | undefined> {
  try {
    const data = JSON.parse(await fs.readFile(sidecarPath(filePath), 'utf8')) as Sidecar;
    if (data.size === size && Date.parse(data.mtime) === Math.trunc(mtimeMs)) return data;
    return undefined;
  } catch {
    return undefined;
  }
}
