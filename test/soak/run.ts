// `npm run soak [-- --short] [-- --calls N] [-- --only name,...]`: the reliability scenarios with their figures, then
// the decoders fuzzed with a fixed budget. Exits 1 when a scenario fails or the fuzzer finds something. `--short`
// is CI's version (under ~2 minutes); the full run takes a while.
import { runFuzz } from '../fuzz/run.js';
import { cancelBurst, frozen, hostKilled, killInFlight, launchKill, manyCalls, type Result } from './scenarios.js';

const short = process.argv.includes('--short');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const calls = Number(arg('--calls') ?? (short ? 10_000 : 1_000_000));
const only = arg('--only')?.split(',');

const scenarios: Array<[string, () => Promise<Result>]> = [
  ['launch-kill', () => launchKill(short ? 20 : 200)],
  ['calls-grpc', () => manyCalls('grpc', calls)],
  ['calls-netrpc', () => manyCalls('netrpc', calls)],
  ['sigkill-grpc', () => killInFlight('grpc')],
  ['sigkill-netrpc', () => killInFlight('netrpc')],
  ['frozen-grpc', () => frozen('grpc')],
  ['frozen-netrpc', () => frozen('netrpc')],
  ['host-sigkill', () => hostKilled()],
  ['cancel-grpc', () => cancelBurst('grpc', 5_000)],
  ['cancel-netrpc', () => cancelBurst('netrpc', 5_000)],
];

let failed = 0;
const started = performance.now();
for (const [name, run] of scenarios) {
  if (only && !only.includes(name)) continue;
  let result: Result;
  try {
    result = await run();
  } catch (err) {
    result = { ok: false, figures: `threw: ${err instanceof Error ? err.stack ?? err.message : String(err)}` };
  }
  if (!result.ok) failed++;
  console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${name.padEnd(15)} ${result.figures}`);
}
if (!only || only.includes('fuzz')) {
  const found = await runFuzz(short ? 5_000 : 100_000, Number(arg('--seed') ?? Date.now() % 100_000), false);
  if (found > 0) failed++;
}
console.log(`soak: ${failed === 0 ? 'all held' : `${failed} failed`} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = failed === 0 ? 0 : 1;
