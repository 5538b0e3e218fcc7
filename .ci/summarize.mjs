// Sums the Vitest JSON reports of every workspace into the plain closing line CI reads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Arguments from .ci/run: npm test's exit status, then the checks run outside Vitest (lint,
// typecheck) that passed and failed.
const [testStatus, checksPassed, checksFailed] = process.argv.slice(2).map((a) => Number(a) || 0);
let passed = checksPassed ?? 0;
let failed = checksFailed ?? 0;
let skipped = 0;
for (const root of ['packages', 'examples']) {
  if (!existsSync(root)) continue;
  for (const name of readdirSync(root)) {
    const file = join(root, name, '.vitest-report.json');
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + filesFailedWithoutFailedTests(report);
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    for (const line of failures(report)) console.log(`failed: ${join(root, name)} ${line}`);
  }
}
// `npm test` failed but no report shows a failure (a package did not build, a runner crashed).
if (testStatus && failed === (checksFailed ?? 0)) failed += 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

// The failed tests by file and name, so a flaky failure in CI's record says which test it was.
function failures(report) {
  return (report.testResults ?? []).flatMap((r) => {
    const file = r.name ?? '?';
    const tests = (r.assertionResults ?? []).filter((a) => a.status === 'failed');
    if (r.status === 'failed' && tests.length === 0)
      return [`${file}: ${String(r.message ?? '').split('\n')[0]}`];
    return tests.map(
      (a) => `${file} > ${a.fullName}: ${String(a.failureMessages?.[0] ?? '').split('\n')[0]}`,
    );
  });
}

// A test file that failed without a failing test (it could not load, a hook threw) counts as one failure.
function filesFailedWithoutFailedTests(report) {
  return (report.testResults ?? []).filter(
    (r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
}
