// The fuzz engine: deterministic mutations (seeded PRNG) of the seeds and the committed corpus, a fixed budget per
// decoder, and a verdict per input: returned, or threw/rejected with a PluginError, within a time limit. Anything
// else is a finding; its input is written to test/fuzz/findings/ to reproduce it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PluginError } from '@plugwire/core';
import type { FuzzTarget } from './registry.js';

const here = import.meta.dirname;
/** Where each decoder's corpus lives: test/fuzz/corpus/<name>/<sha1>.bin. */
export const CORPUS_DIR = join(here, 'corpus');
const FINDINGS_DIR = join(here, 'findings');
/** Longest an input may take to decode before it counts as a hang. */
const PER_INPUT_MS = 2_000;
const MAX_INPUT = 1 << 16;
/** Inputs one `--grow` run may add to a decoder's corpus, so the corpus stays small enough to keep in git. */
const MAX_GROWN = 25;

/** A small fast PRNG (mulberry32), so a run is reproducible from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7c, 0x0a, 0x7b, 0x22, 0x00];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x40000];

/** One mutation of `input`: bit flips, interesting bytes and lengths, insertions, deletions, splices, repeats. */
export function mutate(input: Uint8Array, pool: readonly Uint8Array[], rnd: () => number): Uint8Array {
  const buf = Buffer.from(input);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const at = (): number => pick(Math.max(1, buf.length));
  switch (pick(9)) {
    case 0:
      if (buf.length > 0) buf[at()]! ^= 1 << pick(8);
      return buf;
    case 1:
      if (buf.length > 0) buf[at()] = INTERESTING[pick(INTERESTING.length)]!;
      return buf;
    case 2:
      if (buf.length >= 4) buf.writeUInt32BE(INTERESTING32[pick(INTERESTING32.length)]!, pick(buf.length - 3));
      return buf;
    case 3: {
      const i = at();
      return Buffer.concat([buf.subarray(0, i), Buffer.from([pick(256)]), buf.subarray(i)]);
    }
    case 4: {
      const i = at();
      return Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1 + pick(8))]);
    }
    case 5:
      return buf.subarray(0, at());
    case 6: {
      const other = pool[pick(pool.length)] ?? buf;
      const i = at();
      return Buffer.concat([buf.subarray(0, i), Buffer.from(other).subarray(pick(Math.max(1, other.length)))]).subarray(0, MAX_INPUT);
    }
    case 7: {
      const i = at();
      const j = Math.min(buf.length, i + 1 + pick(16));
      const chunk = buf.subarray(i, j);
      return Buffer.concat([buf.subarray(0, j), ...Array.from({ length: 1 + pick(8) }, () => chunk), buf.subarray(j)]).subarray(0, MAX_INPUT);
    }
    default:
      return Buffer.from(Array.from({ length: pick(64) }, () => pick(256)));
  }
}

/** The committed corpus of a decoder. */
export function loadCorpus(name: string): Uint8Array[] {
  const dir = join(CORPUS_DIR, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => readFileSync(join(dir, f)));
}

function save(dir: string, input: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha1').update(input).digest('hex').slice(0, 16)}.bin`);
  writeFileSync(file, input);
  return file;
}

/** A failure's kind, without the input's own bytes or numbers: a rough stand-in for the code path taken. */
function outcomeOf(err: PluginError): string {
  const words = err.message.split(/\s+/).filter((w) => /^[a-z]+$/i.test(w));
  return `${err.code}: ${words.slice(0, 3).join(' ')}`;
}

/** What one input did. */
type Verdict = { ok: true; outcome: string } | { ok: false; problem: string };

async function runOne(target: FuzzTarget, input: Uint8Array): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = Promise.resolve().then(() => target.run(input));
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no verdict within ${PER_INPUT_MS} ms (a hang)`)), PER_INPUT_MS);
    });
    await Promise.race([run, hang]);
    return { ok: true, outcome: 'decoded' };
  } catch (err) {
    if (err instanceof PluginError) return { ok: true, outcome: outcomeOf(err) };
    return { ok: false, problem: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Figures of one decoder's run. */
export interface FuzzReport {
  readonly name: string;
  readonly inputs: number;
  readonly outcomes: number;
  readonly ms: number;
  readonly findings: Array<{ problem: string; file: string }>;
  readonly grown: number;
}

/**
 * Runs the corpus and then `budget` mutated inputs through `target`.
 * @param target - the decoder
 * @param budget - mutated inputs to try
 * @param seed - PRNG seed (same seed, same inputs)
 * @param grow - save inputs with an outcome not seen before to the corpus
 */
export async function fuzz(target: FuzzTarget, budget: number, seed: number, grow = false): Promise<FuzzReport> {
  const start = performance.now();
  const pool = [...target.seeds(), ...loadCorpus(target.name)];
  const outcomes = new Set<string>();
  const findings: Array<{ problem: string; file: string }> = [];
  let grown = 0;
  const rnd = prng(seed);
  const check = async (input: Uint8Array, mutated: boolean): Promise<void> => {
    const v = await runOne(target, input);
    if (!v.ok) {
      if (findings.length < 20) findings.push({ problem: v.problem, file: save(join(FINDINGS_DIR, target.name), input) });
      return;
    }
    if (!outcomes.has(v.outcome)) {
      outcomes.add(v.outcome);
      if (grow && mutated && grown < MAX_GROWN) {
        save(join(CORPUS_DIR, target.name), input);
        pool.push(input);
        grown++;
      }
    }
  };
  for (const input of pool.slice()) await check(input, false);
  for (let i = 0; i < budget; i++) {
    const base = pool[Math.floor(rnd() * pool.length)]!;
    let input = mutate(base, pool, rnd);
    for (let n = Math.floor(rnd() * 4); n > 0; n--) input = mutate(input, pool, rnd);
    await check(input, true);
  }
  return { name: target.name, inputs: pool.length + budget, outcomes: outcomes.size, ms: Math.round(performance.now() - start), findings, grown };
}
