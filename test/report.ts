// Prints jest's --json results as the plain line "N passed, N failed[, N skipped]"; exits non-zero
// when no test ran, or, with --none-skipped, when a test was skipped.
import { readFileSync } from 'node:fs';

const results = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; numTotalTests: number };
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`${results.numPassedTests} passed, ${results.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ''));
if (results.numTotalTests === 0) {
  console.error('no test ran');
  process.exit(1);
}
if (process.argv.includes('--none-skipped') && skipped > 0) {
  console.error(`${skipped} tests were skipped`);
  process.exit(1);
}
