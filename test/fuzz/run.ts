// `npx tsx test/fuzz/run.ts [--budget N] [--seed S] [--grow] [name...]`: fuzzes every registered decoder (or the
// named ones) and prints figures; exits 1 on a finding. `npm run soak` runs it with its own budget.
import { fuzz } from './engine.js';
import { targets } from './registry.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * Fuzzes the registered decoders and prints one line per decoder.
 * @returns the number of findings
 */
export async function runFuzz(budget: number, seed: number, grow: boolean, names: readonly string[] = []): Promise<number> {
  let findings = 0;
  for (const target of targets.filter((t) => names.length === 0 || names.includes(t.name))) {
    const r = await fuzz(target, budget, seed, grow);
    findings += r.findings.length;
    console.log(
      `fuzz ${r.name.padEnd(18)} ${String(r.inputs).padStart(7)} inputs  ${String(r.outcomes).padStart(4)} distinct outcomes  ${String(r.ms).padStart(6)} ms` +
        `${r.grown > 0 ? `  +${r.grown} corpus` : ''}${r.findings.length > 0 ? `  ${r.findings.length} FINDINGS` : ''}`,
    );
    for (const f of r.findings) console.log(`  ${f.problem}\n    input: ${f.file}`);
  }
  return findings;
}

if (process.argv[1]?.endsWith('run.ts')) {
  const names = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !['--budget', '--seed'].includes(all[i - 1] ?? ''));
  const found = await runFuzz(arg('--budget', 20_000), arg('--seed', 1), process.argv.includes('--grow'), names);
  process.exitCode = found > 0 ? 1 : 0;
}
