// Which byte range goes to which pre-signed URL. Frame.io picks the part count and sizes
// and does not document its rule, so the sizes in `upload_urls` are the only truth:
// part i starts where part i-1 ended.
import { AgentError } from '../frameio/errors.js';
import type { UploadUrl } from '../frameio/types.js';

export interface PartPlan {
  index: number;
  offset: number;
  size: number;
  url: string;
}

export function planParts(uploadUrls: readonly UploadUrl[], fileSize: number, name = 'file'): PartPlan[] {
  const refuse = (why: string): AgentError =>
    new AgentError({
      code: 'bad_response',
      kind: 'permanent',
      message: `Cannot upload "${name}": ${why}; the upload must be created again`,
    });
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw refuse(`file size ${String(fileSize)} is not a byte count`);
  const parts: PartPlan[] = [];
  let offset = 0;
  uploadUrls.forEach((u, index) => {
    if (!Number.isSafeInteger(u.size) || u.size < 0) {
      throw refuse(`upload_urls[${index}].size (${String(u.size)}) is not a byte count`);
    }
    if (typeof u.url !== 'string' || u.url === '') throw refuse(`upload_urls[${index}] has no url`);
    parts.push({ index, offset, size: u.size, url: u.url });
    offset += u.size;
  });
  if (offset !== fileSize) {
    throw refuse(`its ${parts.length} part URLs cover ${offset} bytes but the file has ${fileSize} bytes`);
  }
  return parts;
}

/** Host and path of a part URL: enough to tell parts apart in logs, without the signature in the query. */
export function urlLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
