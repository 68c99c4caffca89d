// Every registered decoder, on its committed corpus and a small fixed budget of mutations (seed 1): each input
// decodes or fails with a PluginError, in time. `npm run soak` runs the same with a larger budget and a fresh seed.
import { describe, expect, it } from 'vitest';
import { fuzz, loadCorpus } from './engine.js';
import { targets } from './registry.js';

describe('fuzzed decoders', () => {
  it.each(targets.map((t) => [t.name, t] as const))('%s: corpus and 2,000 mutations give only PluginErrors', async (name, target) => {
    const report = await fuzz(target, 2_000, 1);
    expect(report.findings).toEqual([]);
    expect(report.inputs).toBe(target.seeds().length + loadCorpus(name).length + 2_000);
  });
});
