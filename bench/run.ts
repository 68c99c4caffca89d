// `npm run bench`: runs every bench/*.bench.ts (or the ones named on the command line) in one process, one after
// the other, and prints each as a table, then everything as one JSON document.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRatio, BenchSection } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

function table(section: BenchSection): string {
  const keys = [...new Set(section.rows.flatMap((r) => Object.keys(r)))];
  const cells = section.rows.map((r) => keys.map((k) => String(r[k] ?? '')));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ');
  return [
    `## ${section.title}`,
    line(keys),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    ...(section.notes ?? []).map((n) => `   ${n}`),
    ...(section.ratios ?? []).map((r) => `   ${met(r) ? 'met ' : 'MISS'}  ${r.name}: ${r.value.toFixed(2)} (target ${r.better === 'higher' ? '≥' : '≤'} ${r.target})`),
  ].join('\n');
}

const met = (r: BenchRatio): boolean => (r.better === 'higher' ? r.value >= r.target : r.value <= r.target);

const results: BenchSection[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<BenchSection | BenchSection[]> };
  const out = await mod.default();
  for (const section of Array.isArray(out) ? out : [out]) {
    results.push(section.ratios ? { ...section, ratios: section.ratios.map((r) => ({ ...r, met: met(r) })) } : section);
    console.log(`${table(section)}\n`);
  }
}
console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, sections: results }, null, 2));
