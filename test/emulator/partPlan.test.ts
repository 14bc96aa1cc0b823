import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypeFor, partOffsets, planParts, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { createUpload } from './helpers.js';

describe('part plan', () => {
  it('matches the documented example', () => {
    expect(planParts(50_645_990)).toEqual([16_881_997, 16_881_997, 16_881_996]);
    expect(partOffsets([16_881_997, 16_881_997, 16_881_996])).toEqual([0, 16_881_997, 33_763_994]);
  });

  it('gives a 0-byte file one part of size 0 and spreads remainders over the first parts', () => {
    expect(planParts(0)).toEqual([0]);
    expect(planParts(1)).toEqual([1]);
    expect(planParts(20 * 1024 * 1024)).toEqual([20 * 1024 * 1024]);
    expect(planParts(23, 5)).toEqual([5, 5, 5, 4, 4]);
    expect(planParts(12, 5)).toEqual([4, 4, 4]);
  });

  it('caps at 10,000 parts with bigger parts', () => {
    const parts = planParts(10_001 * 10, 10);
    expect(parts).toHaveLength(10_000);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(100_010);
    expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
  });

  it('maps extensions to media types', () => {
    expect(mediaTypeFor('A.MOV')).toBe('video/quicktime');
    expect(mediaTypeFor('x.mp4')).toBe('video/mp4');
    expect(mediaTypeFor('x.jpg')).toBe('image/jpeg');
    expect(mediaTypeFor('x.png')).toBe('image/png');
    expect(mediaTypeFor('shot.0001.exr')).toBe('image/x-exr');
    expect(mediaTypeFor('x.wav')).toBe('audio/wav');
    expect(mediaTypeFor('x.txt')).toBe('text/plain');
    expect(mediaTypeFor('noext')).toBe('application/octet-stream');
    expect(mediaTypeFor('x.weird')).toBe('application/octet-stream');
  });
});

describe('part plan over the API', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ rateLimits: false, store: 'discard' });
  });
  afterAll(() => emu.close());

  it('answers the documented example with three upload_urls', async () => {
    const up = await createUpload(emu, 'clip.mov', 50_645_990);
    expect(up.upload_urls.map((u: any) => u.size)).toEqual([16_881_997, 16_881_997, 16_881_996]);
    expect(new Set(up.upload_urls.map((u: any) => u.url)).size).toBe(3);
    expect(emu.file(up.id)).toMatchObject({ partCount: 3, fileSize: 50_645_990, status: 'created' });
  });
});
