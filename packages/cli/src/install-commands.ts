// `plugwire install` and `plugwire list`: a plugins directory of signed plugins, one subdirectory each.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PluginError } from '@plugwire/core';
import { discover } from '@plugwire/process';
import { readManifest, signaturePath } from '@plugwire/trust';
import { parseWithCommand } from './args.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import type { Command } from './io.js';
import { MANIFEST_SUFFIX, checkSignedPlugin, trustedKeys } from './trust-files.js';
import { UsageError } from './usage-error.js';

const run = promisify(execFile);

const parse = parseWithCommand;

/** An npm spec's range (`name@^1.2`), when it has one. */
export function specRange(spec: string): string | undefined {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return undefined;
  const range = spec.slice(at + 1);
  return /^[\s\d^~<>=.*xX|-]+$/.test(range) && /\d|\*|x/i.test(range) ? range : undefined;
}

/** Unpacks an npm tarball (`package/` inside) with the system's tar. */
async function unpack(tarball: string, into: string): Promise<string> {
  try {
    await run('tar', ['-xzf', tarball, '-C', into]);
  } catch (err) {
    throw new PluginError('invalid_argument', `cannot unpack ${tarball}: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, { cause: err });
  }
  const names = await readdir(into);
  const top = names.length === 1 ? join(into, names[0] as string) : into;
  return existsSync(top) && statSync(top).isDirectory() ? top : into;
}

/**
 * Brings the source into a local directory: a directory as it is, a tarball unpacked, anything else fetched with
 * `npm pack` (npm resolves names, ranges, tags and URLs, and runs no install scripts) and unpacked.
 */
async function fetchSource(source: string, work: string): Promise<{ root: string; how: string }> {
  if (existsSync(source) && statSync(source).isDirectory()) return { root: resolve(source), how: 'directory' };
  if (existsSync(source) && /\.(tgz|tar\.gz)$/.test(source)) return { root: await unpack(resolve(source), await mkdtemp(join(work, 'x-'))), how: 'tarball' };
  let out: string;
  try {
    ({ stdout: out } = await run('npm', ['pack', source, '--json', '--ignore-scripts', '--pack-destination', work], { maxBuffer: 16 << 20 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new PluginError('not_found', `npm pack ${source} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ')}`, { cause: err });
  }
  const packed = JSON.parse(out) as Array<{ filename: string }>;
  const filename = packed[0]?.filename;
  if (filename === undefined) throw new PluginError('not_found', `npm pack ${source} produced no tarball`);
  // npm names scoped tarballs scope-name-version.tgz in the destination.
  const tarball = join(work, filename.replace(/^@/, '').replace(/\//g, '-'));
  return { root: await unpack(tarball, await mkdtemp(join(work, 'x-'))), how: 'npm' };
}

async function findManifest(root: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return join(root, given);
  const found = (await readdir(root)).filter((n) => n.endsWith(MANIFEST_SUFFIX));
  if (found.length === 1) return join(root, found[0] as string);
  if (found.length === 0) {
    throw new PluginError('checksum', `the plugin is not signed: no *${MANIFEST_SUFFIX} in its top directory (sign it with plugwire sign)`);
  }
  throw new PluginError('invalid_argument', `several manifests in the plugin (${found.join(', ')}): choose one with --manifest`);
}

function dirName(name: string): string {
  const clean = name.replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '-');
  if (clean === '' || clean === '.' || clean === '..') throw new PluginError('invalid_argument', `the plugin name ${JSON.stringify(name)} makes no directory name`);
  return clean;
}

/** `plugwire install`. */
export const installCommand: Command = {
  name: 'install',
  summary: 'install a signed plugin (npm package, tarball or directory) into a plugins directory',
  help: `Usage: plugwire install <source> --dir <plugins dir> --trust KEY [--range RANGE] [--manifest FILE]

<source> is an npm package name or spec (kv-plugin, kv-plugin@^1.2, a URL; fetched with npm pack, no install
scripts run), a .tgz tarball, or a directory. The plugin must carry a signed manifest (plugwire sign): it is refused
unless the signature verifies with a trusted key, every listed file matches its SHA-256, and its version satisfies
the range (--range, or the range of an npm spec). Only the files the manifest lists are installed, from the bytes
that were checked, into <plugins dir>/<name>/ (replacing an older install).

Options:
  --dir DIR              the plugins directory (created if missing)
  --trust KEY            a trusted public key: base64, or a .pub file from plugwire keygen (repeatable)
  --range RANGE          npm semver range the plugin's version must satisfy, e.g. ^1.4.0
  --manifest FILE        the manifest inside the package, when it holds more than one
  -h, --help             this help

${EXIT_HELP}
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      dir: { type: 'string' },
      trust: { type: 'string', multiple: true },
      range: { type: 'string' },
      manifest: { type: 'string' },
    });
    const [source, ...extra] = positionals;
    if (source === undefined || extra.length > 0) throw new UsageError('give exactly one source: an npm package, a .tgz or a directory');
    const dir = values.dir as string | undefined;
    if (dir === undefined) throw new UsageError('give the plugins directory with --dir');
    const keys = await trustedKeys(values.trust as string[] | undefined);
    const range = (values.range as string | undefined) ?? specRange(source);
    const work = await mkdtemp(join(tmpdir(), 'plugwire-install-'));
    try {
      const { root, how } = await fetchSource(source, work);
      const manifestPath = await findManifest(root, values.manifest as string | undefined);
      const checked = await checkSignedPlugin(manifestPath, keys, range, true);
      const { manifest } = checked;
      let name = manifest.name;
      if (name === undefined && existsSync(join(root, 'package.json'))) {
        name = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name?: string }).name;
      }
      const target = join(resolve(dir), dirName(name ?? basename(manifest.entry)));
      // Written next to the target, then renamed into place, so a failed install leaves the old one intact.
      await mkdir(resolve(dir), { recursive: true });
      const staging = await mkdtemp(join(resolve(dir), '.installing-'));
      try {
        for (const [path, bytes] of checked.files) {
          const file = join(staging, ...path.split('/'));
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, bytes, { mode: 0o644 });
          const sourceMode = statSync(join(dirname(manifestPath), ...path.split('/'))).mode;
          const runnable = path === manifest.entry && (sourceMode & 0o111 || bytes.subarray(0, 2).toString('latin1') === '#!' || bytes.subarray(0, 4).toString('latin1') === '\x7fELF');
          if (runnable) await chmod(file, 0o755);
        }
        const manifestName = basename(manifestPath);
        await writeFile(join(staging, manifestName), await readFile(manifestPath));
        await writeFile(join(staging, `${manifestName}.sig`), await readFile(signaturePath(manifestPath)));
        await rm(target, { recursive: true, force: true });
        await rename(staging, target);
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        throw err;
      }
      io.stdout.write(
        `installed ${name ?? manifest.entry}${manifest.version ? ` ${manifest.version}` : ''} (from ${how}, signed by ${checked.signer})\n` +
          `  ${join(target, ...manifest.entry.split('/'))}\n`,
      );
      return EXIT.ok;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      io.stderr.write(`plugwire: refused to install ${source}: ${PluginError.from(err).message}\n`);
      return EXIT.failed;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

/** One installed plugin, as `list --json` prints it. */
export interface InstalledPlugin {
  /** Its name. */
  name: string;
  /** Its semantic version, when its manifest declares one. */
  version?: string;
  /** The public key that signed it (base64), from its signature file. */
  signer?: string;
  /** Whether the signature and files verify with the `--trust` keys (only with --trust). */
  verified?: boolean;
  /** The entry file to run. */
  path: string;
}

/** `plugwire list`. */
export const listCommand: Command = {
  name: 'list',
  summary: 'list the plugins installed in a plugins directory',
  help: `Usage: plugwire list --dir <plugins dir> [--trust KEY] [--json]

Lists the plugins in the directory (found as go-plugin's Discover does, by the glob */*${MANIFEST_SUFFIX}): name,
version, the key that signed it, and the path of the file to run. With --trust, each is verified again (signature
and files) and marked.

Options:
  --dir DIR              the plugins directory
  --trust KEY            re-verify with these trusted keys (repeatable)
  --json                 print a JSON array
  -h, --help             this help

${EXIT_HELP}
`,
  async run(args, io) {
    const { values } = parse(args, { dir: { type: 'string' }, trust: { type: 'string', multiple: true }, json: { type: 'boolean' } });
    const dir = values.dir as string | undefined;
    if (dir === undefined) throw new UsageError('give the plugins directory with --dir');
    const keys = values.trust === undefined ? undefined : await trustedKeys(values.trust as string[]);
    const plugins: InstalledPlugin[] = [];
    // go-plugin's Discover; directories starting with a dot (an install still staging) are not plugins.
    const manifests = (await discover(`*/*${MANIFEST_SUFFIX}`, dir)).filter((path) => !basename(dirname(path)).startsWith('.'));
    for (const manifestPath of manifests) {
      let entry: InstalledPlugin;
      try {
        const { manifest } = await readManifest(manifestPath);
        entry = {
          name: manifest.name ?? basename(dirname(manifestPath)),
          ...(manifest.version !== undefined && { version: manifest.version }),
          path: join(dirname(manifestPath), ...manifest.entry.split('/')),
        };
        try {
          const sig = JSON.parse(await readFile(signaturePath(manifestPath), 'utf8')) as { publicKey?: unknown };
          if (typeof sig.publicKey === 'string') entry.signer = sig.publicKey;
        } catch {
          // unsigned: no signer shown
        }
      } catch {
        entry = { name: basename(dirname(manifestPath)), path: manifestPath, verified: false };
      }
      if (keys !== undefined && entry.verified === undefined) {
        entry.verified = await checkSignedPlugin(manifestPath, keys).then(
          () => true,
          () => false,
        );
      }
      plugins.push(entry);
    }
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(plugins, null, 2)}\n`);
      return EXIT.ok;
    }
    if (plugins.length === 0) {
      io.stdout.write(`no plugins in ${dir}\n`);
      return EXIT.ok;
    }
    const rows = [
      ['NAME', 'VERSION', 'SIGNER', ...(keys ? ['VERIFIED'] : []), 'PATH'],
      ...plugins.map((p) => [
        p.name,
        p.version ?? '-',
        p.signer ?? 'unsigned',
        ...(keys ? [p.verified ? 'yes' : 'NO'] : []),
        p.path,
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    for (const r of rows) io.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`);
    return keys !== undefined && plugins.some((p) => !p.verified) ? EXIT.failed : EXIT.ok;
  },
};
