// Prints vitest's JSON results as the one closing line CI reads: "N passed, N failed".
// With several result files (`label=file` arguments, e.g. one per Node version), prints one line per file in
// another wording first, then the closing line summed over all of them.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const runs = (args.length > 0 ? args : ['test-results.json']).map((arg) => {
  const at = arg.indexOf('=');
  return at > 0 ? { label: arg.slice(0, at), file: arg.slice(at + 1) } : { label: undefined, file: arg };
});

let passed = 0;
let failed = 0;
let skipped = 0;
let empty = false;
for (const { label, file } of runs) {
  let results;
  try {
    results = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.log(`${label ?? file}: no test results in ${file} (${err.message}), counted as 1 failure`);
    failed += 1;
    continue;
  }
  const p = results.numPassedTests ?? 0;
  // A failed file none of whose tests failed (it did not load, or a hook failed) counts as one failure;
  // numFailedTestSuites would also count every describe block around a failed test.
  const brokenFiles = (results.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
  const f = (results.numFailedTests ?? 0) + brokenFiles;
  const s = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
  if (p === 0) empty = true;
  if (label !== undefined) console.log(`${label}: ${p} tests passed, ${f} tests failed${s ? `, ${s} skipped` : ''}`);
  passed += p;
  failed += f;
  skipped += s;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || empty ? 1 : 0);
