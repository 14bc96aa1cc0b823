// Prints one plain closing line, "N passed, N failed", that any CI log reader understands.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    const failedModules = testModules.filter((m) => m.state() === 'failed').length;
    process.stdout.write(`\n${passed} passed, ${failed + (failed === 0 ? failedModules : 0)} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
