import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { PluginError } from '@plugwire/core';
import { valid } from 'semver';

/** Format tag of a manifest (`"plugwire": 1`). */
export const MANIFEST_FORMAT = 1;

/**
 * What a plugin's signature covers: the files it runs, each with its SHA-256, and its own semantic version.
 * Stored as JSON (see the README for the exact format); paths are relative to the manifest's directory, with `/`.
 */
export interface Manifest {
  /** Format version; always 1. */
  readonly plugwire: 1;
  /** The plugin's name (informational). */
  readonly name?: string;
  /** The plugin's semantic version (checked against the host's `version` range). */
  readonly version?: string;
  /** The file the host runs (an executable, or the script given to an interpreter); a key of `files`. */
  readonly entry: string;
  /** Every file covered, by relative path: lowercase hex SHA-256 of its bytes. */
  readonly files: Readonly<Record<string, string>>;
}

/** Options of {@link createManifest}. */
export interface CreateManifestOptions {
  /** Directory the paths are relative to (where the manifest will be written). */
  readonly dir: string;
  /** The file the host runs, relative to `dir`. */
  readonly entry: string;
  /** Other files the entry needs, relative to `dir`. @default [] */
  readonly files?: readonly string[];
  /** The plugin's name. @default none */
  readonly name?: string;
  /** The plugin's semantic version. @default none (hosts with a `version` range then refuse it) */
  readonly version?: string;
}

/**
 * SHA-256 of a file, lowercase hex.
 * @param path - the file
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks a manifest path: relative, inside the manifest's directory, `/`-separated, no `.`/`..` segments.
 * @param path - as written in the manifest
 */
export function checkManifestPath(path: string): string {
  const ok =
    typeof path === 'string' &&
    path.length > 0 &&
    path.length < 4096 &&
    !isAbsolute(path) &&
    !path.includes('\\') &&
    !path.includes('\0') &&
    path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
  if (!ok) throw new PluginError('checksum', `manifest path ${JSON.stringify(String(path).slice(0, 200))} is not a plain relative path inside the manifest's directory`);
  return path;
}

/**
 * Builds a manifest by hashing the files.
 * @param options - directory, entry, other files, name and version
 */
export async function createManifest(options: CreateManifestOptions): Promise<Manifest> {
  if (options.version !== undefined && valid(options.version) === null) {
    throw new PluginError('invalid_argument', `version ${JSON.stringify(options.version)} is not a semantic version (e.g. 1.4.2)`);
  }
  const files: Record<string, string> = {};
  for (const given of [options.entry, ...(options.files ?? [])]) {
    const path = checkManifestPath(normalize(given).split(sep).join('/'));
    files[path] = await sha256File(join(options.dir, path));
  }
  return {
    plugwire: MANIFEST_FORMAT,
    ...(options.name !== undefined && { name: options.name }),
    ...(options.version !== undefined && { version: options.version }),
    entry: checkManifestPath(normalize(options.entry).split(sep).join('/')),
    files,
  };
}

/**
 * Parses and checks a manifest's JSON text.
 * @param text - the manifest file's content
 * @throws PluginError `checksum` when it is not a valid manifest
 */
export function parseManifest(text: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PluginError('checksum', `the plugin manifest is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const m = value as Partial<Manifest> | null;
  const bad = (why: string): never => {
    throw new PluginError('checksum', `the plugin manifest is invalid: ${why}`);
  };
  if (!m || typeof m !== 'object') return bad('not an object');
  if (m.plugwire !== MANIFEST_FORMAT) bad('"plugwire" must be 1');
  if (typeof m.entry !== 'string') bad('"entry" must be a path');
  if (!m.files || typeof m.files !== 'object') bad('"files" must map paths to SHA-256 hex digests');
  if (m.version !== undefined && (typeof m.version !== 'string' || valid(m.version) === null)) bad('"version" is not a semantic version');
  for (const [path, digest] of Object.entries(m.files!)) {
    checkManifestPath(path);
    if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)) bad(`the digest of ${path} is not 64 lowercase hex characters`);
  }
  checkManifestPath(m.entry!);
  if (!Object.hasOwn(m.files!, m.entry!)) bad(`the entry ${m.entry} is not listed in "files"`);
  return m as Manifest;
}

/**
 * Writes a manifest as JSON.
 * @param path - the manifest file
 * @param manifest - its content
 */
export async function writeManifest(path: string, manifest: Manifest): Promise<void> {
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Reads a manifest file.
 * @param path - the manifest file
 */
export async function readManifest(path: string): Promise<{
  /** The manifest, parsed and checked. */
  manifest: Manifest;
  /** The file's bytes as read, which a signature covers. */
  bytes: Buffer;
}> {
  const bytes = await readFile(path);
  return { manifest: parseManifest(bytes.toString('utf8')), bytes };
}

/** The path of a manifest entry on disk. */
export function manifestFilePath(manifestPath: string, entry: string): string {
  return join(dirname(manifestPath), ...entry.split('/'));
}

/** Whether `path` lies inside `dir`. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
