// Documentation that cannot go stale: every ```ts block of the root README, examples/README.md and each package
// README is type-checked against the built packages and run (conventions in ./snippets.ts). `npm test` builds first.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSnippets, excerptMismatch, extractSnippets, runSnippet, type CompiledReadme } from './snippets.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;

const readmes = [
  'README.md',
  'examples/README.md',
  ...readdirSync(join(root, 'packages'))
    .filter((name) => existsSync(join(root, 'packages', name, 'package.json')))
    .map((name) => `packages/${name}/README.md`),
];

describe.each(readmes)('%s', (readme) => {
  const path = join(root, readme);
  const snippets = existsSync(path) ? extractSnippets(root, path) : [];
  const programs = snippets.filter((s) => s.kind === 'program');
  let compiled: CompiledReadme | undefined;
  const compile = (): CompiledReadme => (compiled ??= compileSnippets(root, snippets));
  afterAll(() => compiled?.remove());

  it('exists and has a ts block that is type-checked and run', () => {
    expect(existsSync(path), `${readme} is missing`).toBe(true);
    expect(programs.length, `${readme} needs a complete \`\`\`ts program (see test/docs/snippets.ts)`).toBeGreaterThan(0);
  });

  it('type-checks against the built packages', () => {
    expect(compile().errors).toEqual([]);
  });

  for (const snippet of snippets.filter((s) => s.kind === 'excerpt')) {
    it(`block at line ${snippet.line} is an excerpt of ${snippet.from}`, () => {
      expect(excerptMismatch(root, snippet)).toBeUndefined();
    });
  }

  for (const snippet of programs) {
    it(`runs the block at line ${snippet.line}, which exits 0 and leaves no process or temp file behind`, { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
      const { dir, errors } = compile();
      expect(errors, 'does not compile').toEqual([]);
      const result = await runSnippet(dir, snippet, RUN_TIMEOUT_MS);
      const output = `\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
      expect(result.timedOut, `still running after ${RUN_TIMEOUT_MS} ms${output}`).toBe(false);
      expect(result.leftBehind, `left processes running${output}`).toEqual([]);
      expect(result.leftFiles, `left files in os.tmpdir()${output}`).toEqual([]);
      expect({ code: result.code, signal: result.signal }, output).toEqual({ code: 0, signal: null });
    });
  }
});
