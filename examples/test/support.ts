// Helpers for the examples' process and interop tests.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, silentLogger, type ProtocolName } from '@plugwire/plugin';
import { handshake, kv } from '../src/kv/definition.js';

/** The built examples (npm test builds them first). */
export const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');

/** Command and args that launch a built example plugin with this Node. */
export function nodePlugin(file: string): { command: string; args: string[] } {
  const path = join(dist, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return { command: process.execPath, args: [path] };
}

export { recordingLogger, type RecordedEntry as Recorded } from '@plugwire/plugin/testing';

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

export { processAlive as alive } from '@plugwire/plugin/testing';

/**
 * Launches `node ...nodeArgs` as a kv plugin (the last argument is the plugin file), puts a value over `protocol`,
 * reads it back and kills the plugin. `env` is added to the plugin's environment.
 */
export async function kvPutGet(nodeArgs: readonly string[], protocol: ProtocolName, env: Record<string, string> = {}): Promise<string> {
  const path = nodeArgs.at(-1)!;
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  const client = new Client({ handshake, plugins: { kv }, cmd: { command: process.execPath, args: [...nodeArgs], env }, allowedProtocols: [protocol], logger: silentLogger });
  try {
    const store = await client.dispense('kv');
    await store.put('k', new TextEncoder().encode(`v over ${protocol}`));
    return new TextDecoder().decode(await store.get('k'));
  } finally {
    await client.kill();
  }
}
