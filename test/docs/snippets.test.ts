// The README snippet checker catches what it is there to catch: type errors (reported at the README's line), a
// failing program, one that never ends, one that leaves a process or a temp file behind; fragments are left alone.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSnippets, excerptMismatch, extractSnippets, runSnippet, type CompiledReadme } from './snippets.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const readme = [
  '# demo',
  '',
  '```ts file=greet.ts',
  "export const greet = (name: string): string => `hello ${name}`;",
  '```',
  '',
  '```ts',
  "import { greet } from './greet.js';",
  "if (greet('x') !== 'hello x') process.exit(3);",
  '```',
  '',
  '```ts fragment',
  'this is not TypeScript at all',
  '```',
  '',
  '```ts',
  "const n: number = 'not a number';",
  '```',
  '',
  '```ts',
  "throw new Error('boom');",
  '```',
  '',
  '```ts',
  'setInterval(() => {}, 1000);',
  '```',
  '',
  '```ts',
  "import { spawn } from 'node:child_process';",
  "spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { detached: true, stdio: 'ignore' }).unref();",
  '```',
  '',
  '```ts',
  "import { writeFileSync } from 'node:fs';",
  "import { tmpdir } from 'node:os';",
  "writeFileSync(`${tmpdir()}/forgotten.sock`, '');",
  '```',
  '',
  '```ts from=src/lib.ts',
  'export function one(): number {',
  '// …',
  '}',
  '```',
  '',
  '```ts from=src/lib.ts',
  'export function two(): number {',
  '```',
  '',
  '```sh',
  'echo not extracted',
  '```',
].join('\n');

describe('README snippet checker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-snippets-test-'));
  const path = join(dir, 'README.md');
  writeFileSync(path, readme);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'lib.ts'), 'export function one(): number {\n  return 1;\n}\n');
  const snippets = extractSnippets(dir, path);
  let compiled: CompiledReadme | undefined;
  afterAll(() => {
    compiled?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('extracts ts blocks with their kind, file and line', () => {
    expect(snippets.map((s) => [s.kind, s.line])).toEqual([
      ['module', 3],
      ['program', 7],
      ['fragment', 12],
      ['program', 16],
      ['program', 20],
      ['program', 24],
      ['program', 28],
      ['program', 33],
      ['excerpt', 39],
      ['excerpt', 45],
    ]);
    expect(snippets[0]?.file).toBe('greet.ts');
    expect(snippets[1]?.code).toContain("from './greet.js'");
  });

  it('checks that an excerpt appears in its file, with `// …` skipping lines', () => {
    const [good, stale] = snippets.filter((s) => s.kind === 'excerpt');
    expect(good?.from).toBe('src/lib.ts');
    expect(excerptMismatch(dir, good!)).toBeUndefined();
    expect(excerptMismatch(dir, stale!)).toMatch(/^README\.md:45: these lines are not in src\/lib\.ts/);
  });

  it('reports a type error at its README line, and skips fragments', () => {
    compiled = compileSnippets(root, snippets);
    expect(compiled.errors).toEqual([expect.stringMatching(/^README\.md:17: Type 'string' is not assignable to type 'number'/)]);
  });

  it('runs programs: a good one exits 0, a throwing one does not, a hanging one times out, a leaked process or temp file is found', async () => {
    const withoutTypeError = snippets.filter((s) => s.line !== 16);
    const ok = compileSnippets(root, withoutTypeError);
    try {
      expect(ok.errors).toEqual([]);
      const [good, throwing, hanging, leaking, littering] = [7, 20, 24, 28, 33].map((line) => withoutTypeError.find((s) => s.line === line)!);
      const r1 = await runSnippet(ok.dir, good!, 20_000);
      expect([r1.code, r1.timedOut, r1.leftBehind, r1.leftFiles]).toEqual([0, false, [], []]);
      const r2 = await runSnippet(ok.dir, throwing!, 20_000);
      expect(r2.code).toBe(1);
      expect(r2.stderr).toContain('boom');
      const r3 = await runSnippet(ok.dir, hanging!, 1_000);
      expect(r3.timedOut).toBe(true);
      const r4 = await runSnippet(ok.dir, leaking!, 20_000);
      expect(r4.code).toBe(0);
      expect(r4.leftBehind).toEqual([expect.stringContaining('setTimeout(() => {}, 60000)')]);
      const r5 = await runSnippet(ok.dir, littering!, 20_000);
      expect([r5.code, r5.leftFiles]).toEqual([0, ['forgotten.sock']]);
    } finally {
      ok.remove();
    }
  });
});
