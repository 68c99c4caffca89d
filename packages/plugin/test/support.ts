// Helpers of the plugin package's process tests.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandOptions } from '../src/index.js';

/** The greeter plugin process (TypeScript, run through tsx), with the given fixture arguments. */
export function greeterPlugin(args: readonly string[] = [], env: Record<string, string> = {}): CommandOptions {
  return { command: process.execPath, args: ['--import', 'tsx', join(import.meta.dirname, 'fixtures/greeter-plugin.ts'), ...args], env };
}

export { processAlive as alive } from '../src/testing.js';

/** A temp dir for pid files, removed by `cleanup()`. */
export function pidDir(): { file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'plugwire-pid-'));
  return { file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Waits until `path` exists and has content (a writer creates the file before it writes). */
export async function fileAppears(path: string): Promise<string> {
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (text !== '') return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
