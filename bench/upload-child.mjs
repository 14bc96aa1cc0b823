// One uploader in its own process, so its peak RSS is its own: `ours` is FrameioUploader from
// dist/upload; `seed` is the seed-style baseline (each part read whole into memory with a
// ranged read, then PUT as one Buffer, like the Python SDK's FrameioUploader).
// Usage: node upload-child.mjs <file holding json {mode, target, source, workers, highWaterMark?}>
// (a file, not argv: a 10 GiB plan's 512 signed URLs exceed the kernel's argument size limit)
import { open, readFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { FrameioUploader } from '../dist/upload/index.js';

const cfg = JSON.parse(await readFile(process.argv[2], 'utf8'));
const { target, source, workers } = cfg;

async function seedStyle() {
  const dispatcher = new Agent({ connections: workers });
  const limit = pLimit(workers);
  let offset = 0;
  const parts = target.upload_urls.map((u) => {
    const p = { url: u.url, size: u.size, offset };
    offset += u.size;
    return p;
  });
  await Promise.all(
    parts.map((p) =>
      limit(async () => {
        const fh = await open(source, 'r');
        const buf = Buffer.alloc(p.size);
        try {
          await fh.read(buf, 0, p.size, p.offset);
        } finally {
          await fh.close();
        }
        const res = await request(p.url, {
          method: 'PUT',
          body: buf,
          headers: { 'x-amz-acl': 'private', 'content-type': target.media_type },
          dispatcher,
        });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`part PUT answered ${res.statusCode}`);
      }),
    ),
  );
  await dispatcher.close();
}

const started = performance.now();
if (cfg.mode === 'seed') {
  await seedStyle();
} else {
  await new FrameioUploader(target, source, {
    maxWorkers: workers,
    ...(cfg.highWaterMark ? { highWaterMark: cfg.highWaterMark } : {}),
  }).upload();
}
const ms = performance.now() - started;
const ru = process.resourceUsage();
console.log(JSON.stringify({ ms, bytes: target.file_size, maxRssMb: ru.maxRSS / 1024, cpuS: (ru.userCPUTime + ru.systemCPUTime) / 1e6 }));
