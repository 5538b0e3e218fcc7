// Sums the Vitest JSON reports of every workspace into the plain closing line CI reads.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const root of ['packages', 'examples']) {
  if (!existsSync(root)) continue;
  for (const name of readdirSync(root)) {
    const file = join(root, name, '.vitest-report.json');
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0) - countSuitesWithFailedTests(report);
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

// A failed suite (a file that could not load) counts as one failure; one whose tests failed is counted by its tests.
function countSuitesWithFailedTests(report) {
  return (report.testResults ?? []).filter(
    (r) => r.status === 'failed' && (r.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
}
