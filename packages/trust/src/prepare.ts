import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { PluginError, throwIfAborted, type AbortOptions } from '@plugwire/core';
import { manifestFilePath, type Manifest } from './manifest.js';
import { verifyManifest } from './signature.js';
import { checkVersion } from './version.js';

/** What the host checks before it runs a plugin (the `verify` and `version` host options). */
export interface VerifyOptions {
  /** Trusted ed25519 public keys (base64 of 32 raw bytes); the manifest must be signed by one of them. */
  readonly publicKeys: readonly string[];
  /** The signed manifest. @default `<command>.manifest.json` */
  readonly manifest?: string;
}

/** The launch after verification: the copies to run, and how to remove them. */
export interface PreparedLaunch {
  /** The command to spawn (the private copy when the command is a file of the manifest). */
  readonly command: string;
  /** The arguments (private copies in place of manifest files). */
  readonly args: readonly string[];
  /** The verified manifest. */
  readonly manifest: Manifest;
  /** The private directory holding the copies (mode 0700). */
  readonly dir: string;
  /** Removes the private copies; idempotent. */
  close(): Promise<void>;
}

/** Options of {@link prepareVerifiedLaunch}. */
export interface PrepareOptions extends AbortOptions {
  /** Executable as the user gave it. */
  readonly command: string;
  /** Arguments as the user gave them. @default [] */
  readonly args?: readonly string[];
  /** Working directory the paths are relative to. @default process.cwd() */
  readonly cwd?: string;
  /** Signature check. */
  readonly verify: VerifyOptions;
  /** Accepted plugin versions (npm semver range). @default any */
  readonly version?: string;
  /** Where the private directory is made. @default the OS temp dir */
  readonly tmpDir?: string;
}

/** Copies `from` to `to`, hashing exactly the bytes written. */
async function copyHashed(from: string, to: string): Promise<string> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const input = createReadStream(from);
  const output = createWriteStream(to, { mode: 0o600, flags: 'wx' });
  try {
    await pipeline(input, tap, output);
  } finally {
    // Both descriptors are closed before the copy counts as done (and before the copy is executed).
    const closed = (s: NodeJS.EventEmitter & { closed: boolean }): Promise<unknown> | undefined =>
      s.closed ? undefined : new Promise((resolve) => s.once('close', resolve));
    await Promise.all([closed(input), closed(output)]);
  }
  return hash.digest('hex');
}

/**
 * Verifies a plugin before it runs and makes the bytes checked the bytes executed: checks the manifest's signature
 * against the trusted keys and its version against `version`, then copies every listed file into a fresh private
 * directory (0700), hashing each copy as it is written, and refuses on any mismatch. The returned command and
 * arguments point at the copies (every command or argument naming a manifest file is replaced), so nothing can
 * change the files between the check and the exec. The manifest's `entry` must be among them.
 * @param options - command, arguments, trust settings
 * @throws PluginError `checksum` (unsigned, untrusted key, bad signature, a file that differs from the manifest,
 *   the command not running the signed entry), `incompatible_version`, `invalid_argument`, `aborted`
 */
export async function prepareVerifiedLaunch(options: PrepareOptions): Promise<PreparedLaunch> {
  throwIfAborted(options.signal, 'plugin verification');
  const cwd = options.cwd ?? process.cwd();
  const manifestPath = resolve(cwd, options.verify.manifest ?? `${options.command}.manifest.json`);
  const { manifest } = await verifyManifest(manifestPath, options.verify.publicKeys);
  if (options.version !== undefined) checkVersion(manifest.version, options.version);
  throwIfAborted(options.signal, 'plugin verification');

  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'plugwire-verified-'));
  const close = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o700);
    const copies = new Map<string, string>();
    for (const [path, expected] of Object.entries(manifest.files)) {
      throwIfAborted(options.signal, 'plugin verification');
      const source = manifestFilePath(manifestPath, path);
      const target = join(dir, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      let actual: string;
      let mode: number;
      try {
        mode = (await stat(source)).mode;
        actual = await copyHashed(source, target);
      } catch (err) {
        throw new PluginError('checksum', `cannot read ${source}, listed in the plugin's manifest: ${(err as Error).message}`, { cause: err });
      }
      if (actual !== expected) {
        throw new PluginError('checksum', `${source} does not match the plugin's signed manifest (sha256 ${actual}, signed ${expected}): the plugin was modified after signing; reinstall it`);
      }
      // Owner-only; executable when the original is.
      await chmod(target, mode & 0o100 ? 0o700 : 0o600);
      copies.set(resolve(source), target);
    }
    const swap = (value: string): string => copies.get(resolve(cwd, value)) ?? value;
    const command = swap(options.command);
    const args = (options.args ?? []).map(swap);
    const entry = copies.get(resolve(manifestFilePath(manifestPath, manifest.entry)));
    if (command !== entry && !args.includes(entry!)) {
      throw new PluginError('checksum', `the command does not run the signed entry ${manifest.entry} of ${manifestPath}; name it as the command or an argument`);
    }
    let closing: Promise<void> | undefined;
    return { command, args, manifest, dir, close: () => (closing ??= close()) };
  } catch (err) {
    await close();
    throw err;
  }
}
