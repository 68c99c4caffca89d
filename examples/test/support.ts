// Helpers for the examples' process and interop tests.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger, LogLevel } from '@plugwire/core';

/** The built examples (npm test builds them first). */
export const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');

/** Command and args that launch a built example plugin with this Node. */
export function nodePlugin(file: string): { command: string; args: string[] } {
  const path = join(dist, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return { command: process.execPath, args: [path] };
}

/** Everything a test logger received. */
export interface Recorded {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A logger that records entries, for asserting on mirrored plugin logs. */
export function recordingLogger(): Logger & { entries: Recorded[] } {
  const entries: Recorded[] = [];
  const at = (level: LogLevel) => (fields: Readonly<Record<string, unknown>>, message: string) => {
    entries.push({ level, message, fields });
  };
  return { entries, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Result of running a command to completion. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command (no shell) and collects its output. */
export function runCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeout = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number | string }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** Parses one JSON object per line (the Go fixtures' output), ignoring other lines. */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
