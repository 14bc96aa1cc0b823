// One teardown for every test: register a resource when it is made and it is closed when the
// test ends, pass or fail, newest first. Replaces the `let x; afterEach(() => x?.close())` pairs.
import { onTestFinished } from 'vitest';

export function closeAfterTest<T>(resource: T, close: (r: T) => unknown = (r) => (r as { close(): unknown }).close()): T {
  onTestFinished(async () => {
    await close(resource);
  });
  return resource;
}
