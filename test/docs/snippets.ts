// Extracts the TypeScript snippets of a README, type-checks them against the built packages, and runs them.
//
// The convention, for README authors:
//   ```ts                   a complete program: type-checked, then run with node; it must exit 0 by itself within
//                           the timeout (so it closes what it opened) and leave no process behind and nothing in
//                           os.tmpdir() (a fresh directory for each run).
//   ```ts file=plugin.ts    a module the other blocks of the same README import (as `./plugin.js`) or launch:
//                           type-checked and compiled, not run itself.
//   ```ts from=src/kv/kv.ts an excerpt of a repository file (path relative to the README), which the test suite
//                           builds and tests itself: the block must appear in that file, verbatim (a line
//                           `// …` in the block skips lines of the file). For walk-throughs of real code.
//   ```ts fragment          an excerpt that is not a program: neither checked nor run. Use sparingly; every README
//                           needs at least one block that is checked and run.
// Each README's blocks are compiled together in their own temp dir (ESM, strict), whose node_modules is the
// repository's, so `@plugwire/*` resolves to the built packages, as it would for a user.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { randomUUID } from 'node:crypto';
import ts from 'typescript';

/** One fenced TypeScript block of a README. */
export interface Snippet {
  /** The README, relative to the repository root. */
  readonly readme: string;
  /** Line of the opening fence (1-based). */
  readonly line: number;
  /** How the block is used, from its info string. */
  readonly kind: 'program' | 'module' | 'excerpt' | 'fragment';
  /** For an excerpt: the repository file it is taken from, relative to the repository root. */
  readonly from?: string;
  /** The file the block is written to in the temp dir. */
  readonly file: string;
  /** The block's code. */
  readonly code: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/;

/** The ```ts / ```typescript blocks of a markdown file, in order. */
export function extractSnippets(root: string, readmePath: string): Snippet[] {
  const readme = relative(root, readmePath);
  const lines = readFileSync(readmePath, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '', lang = '', rest = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    if (lang === 'ts' || lang === 'typescript') {
      const attrs = rest.trim().split(/\s+/).filter(Boolean);
      const fileAttr = attrs.find((a) => a.startsWith('file='));
      const fromAttr = attrs.find((a) => a.startsWith('from='));
      const kind = attrs.includes('fragment') ? 'fragment' : fromAttr ? 'excerpt' : fileAttr ? 'module' : 'program';
      const file = fileAttr ? fileAttr.slice('file='.length) : `snippet-line${i + 1}.ts`;
      if (!/^[\w.-]+\.ts$/.test(file)) throw new Error(`${readme}:${i + 1}: file=${file} must be a plain .ts file name`);
      const from = fromAttr ? relative(root, join(dirname(readmePath), fromAttr.slice('from='.length))) : undefined;
      snippets.push({ readme, line: i + 1, kind, file, code: body.join('\n') + '\n', ...(from !== undefined && { from }) });
    }
    i = j;
  }
  return snippets;
}

/** A README's snippets compiled in a temp dir. */
export interface CompiledReadme {
  /** The temp dir holding the sources and the emitted .js files. */
  readonly dir: string;
  /** Type errors, as `README:line: message`; empty when everything compiled. */
  readonly errors: string[];
  /** Removes the temp dir. */
  remove(): void;
}

/** Type-checks and compiles every non-fragment snippet of one README together, emitting .js beside them. */
export function compileSnippets(root: string, snippets: readonly Snippet[]): CompiledReadme {
  const dir = mkdtempSync(join(tmpdir(), 'pw-readme-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-snippets', private: true, type: 'module' }));
  const byFile = new Map<string, Snippet>();
  const errors: string[] = [];
  for (const s of snippets) {
    if (s.kind === 'fragment' || s.kind === 'excerpt') continue;
    if (byFile.has(s.file)) errors.push(`${s.readme}:${s.line}: file=${s.file} is used by two blocks`);
    byFile.set(s.file, s);
    writeFileSync(join(dir, s.file), s.code);
  }
  if (byFile.size === 0) return { dir, errors, remove };
  const program = ts.createProgram({
    rootNames: [...byFile.keys()].map((f) => join(dir, f)),
    options: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [join(dir, 'node_modules', '@types')],
      strict: true,
      noUncheckedIndexedAccess: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmitOnError: true,
      outDir: dir,
      rootDir: dir,
    },
  });
  const emitted = program.emit();
  for (const d of ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file) {
      errors.push(message);
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const snippet = byFile.get(relative(dir, d.file.fileName));
    errors.push(snippet ? `${snippet.readme}:${snippet.line + 1 + line}: ${message}` : `${d.file.fileName}:${line + 1}: ${message}`);
  }
  return { dir, errors: [...new Set(errors)], remove };
}

/** How a snippet run ended. */
export interface RunResult {
  /** Exit code, or null when killed. */
  readonly code: number | null;
  /** The signal that ended it, if any. */
  readonly signal: NodeJS.Signals | null;
  /** Whether it was killed for running past the timeout. */
  readonly timedOut: boolean;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
  /** Processes started by the snippet (plugins, …) still alive after it ended; they were killed. */
  readonly leftBehind: string[];
  /** What it left in its temp dir (`TMPDIR`, so `os.tmpdir()`): socket files, directories. */
  readonly leftFiles: string[];
}

/** Processes in process group `group` or whose environment carries `marker` (children inherit both). */
function processesMarked(marker: string, group: number): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue; // exited, waiting to be reaped
      if (Number(pgrp) !== group && !readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
      found.push({ pid: Number(entry), command });
    } catch {
      // gone already, or not ours to read
    }
  }
  return found;
}

/**
 * Runs a compiled program snippet with node in `dir`, killing it (and anything it started) after `timeoutMs`.
 * It leads its own process group and every process started from it carries a marker in its environment; any
 * such process still alive once it ended is reported and killed. Its `TMPDIR` is a fresh directory; what is left
 * in it is reported.
 */
export async function runSnippet(dir: string, snippet: Snippet, timeoutMs: number): Promise<RunResult> {
  const marker = `PLUGWIRE_README_SNIPPET=${randomUUID()}`;
  const [key, value] = marker.split('=') as [string, string];
  // A temp dir of its own, which must be empty again when it ended.
  const tmp = mkdtempSync(join(dir, 'tmp-'));
  const child = spawn(process.execPath, [join(dir, snippet.file.replace(/\.ts$/, '.js'))], {
    cwd: dir,
    env: { ...process.env, [key]: value, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so what it starts can be found even with another environment
  });
  const group = child.pid ?? -1;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    for (const p of processesMarked(marker, group)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  }, timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  const left = processesMarked(marker, group);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  const leftFiles = readdirSync(tmp, { recursive: true, encoding: 'utf8' });
  rmSync(tmp, { recursive: true, force: true });
  return { code, signal, timedOut, stdout, stderr, leftBehind: left.map((p) => `${p.pid} ${p.command}`), leftFiles };
}

/**
 * Why an excerpt block does not match its repository file, or undefined when it does: the block's lines (trailing
 * spaces ignored) must appear in the file in order and contiguously, except where the block has a `// …` line.
 */
export function excerptMismatch(root: string, snippet: Snippet): string | undefined {
  if (snippet.from === undefined) return `${snippet.readme}:${snippet.line}: not an excerpt`;
  let text: string;
  try {
    text = readFileSync(join(root, snippet.from), 'utf8');
  } catch {
    return `${snippet.readme}:${snippet.line}: from=${snippet.from}: no such file`;
  }
  const norm = (lines: string[]): string[] => lines.map((l) => l.trimEnd());
  const fileLines = norm(text.split('\n'));
  const parts: string[][] = [[]];
  for (const line of norm(snippet.code.trimEnd().split('\n'))) {
    if (/^\s*\/\/ (…|\.\.\.)$/.test(line)) parts.push([]);
    else parts[parts.length - 1]!.push(line);
  }
  let at = 0;
  for (const part of parts.filter((p) => p.length > 0)) {
    let found = -1;
    for (let i = at; i + part.length <= fileLines.length && found < 0; i++) {
      if (part.every((l, k) => fileLines[i + k] === l)) found = i;
    }
    if (found < 0) return `${snippet.readme}:${snippet.line}: these lines are not in ${snippet.from} (in this order):\n${part.join('\n')}`;
    at = found + part.length;
  }
  return undefined;
}
