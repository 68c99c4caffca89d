// `plugwire keygen`, `plugwire sign`, `plugwire verify`: @plugwire/trust's signatures as commands.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { PluginError } from '@plugwire/core';
import { createManifest, generateKeyPair, signManifest, writeManifest } from '@plugwire/trust';
import { parseWithCommand } from './args.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import type { Command } from './io.js';
import { painter } from './render.js';
import { checkSignedPlugin, manifestFor, signingKey, trustedKeys } from './trust-files.js';
import { UsageError } from './usage-error.js';

const parse = parseWithCommand;

/** `plugwire keygen`. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'make an ed25519 key pair for signing plugins',
  help: `Usage: plugwire keygen [--out NAME] [--force]

Makes an ed25519 key pair and writes NAME.key (the private key: base64 of its 32-byte seed, mode 0600; keep it
secret) and NAME.pub (the public key: base64 of 32 bytes; give it to hosts, e.g. plugwire install --trust NAME.pub).
Prints the public key. The formats are @plugwire/trust's, so Go or Python tools can use the same keys.

Options:
  --out NAME             file name prefix (default plugwire-signing)
  --force                overwrite existing files
  -h, --help             this help

${EXIT_HELP}
`,
  async run(args, io) {
    const { values } = parse(args, { out: { type: 'string' }, force: { type: 'boolean' } });
    const out = (values.out as string | undefined) ?? 'plugwire-signing';
    const keyFile = `${out}.key`;
    const pubFile = `${out}.pub`;
    if (values.force !== true) {
      for (const f of [keyFile, pubFile]) if (existsSync(f)) throw new UsageError(`${f} exists; pass --force to overwrite it`);
    }
    const keys = generateKeyPair();
    await writeFile(keyFile, `${keys.privateKey}\n`, { mode: 0o600 });
    await writeFile(pubFile, `${keys.publicKey}\n`);
    io.stdout.write(`${keys.publicKey}\n`);
    io.stderr.write(`wrote ${keyFile} (private: keep it secret) and ${pubFile} (public: give it to hosts)\n`);
    return EXIT.ok;
  },
};

/** `plugwire sign`. */
export const signCommand: Command = {
  name: 'sign',
  summary: 'sign a plugin: a manifest of its files (SHA-256) with a detached ed25519 signature',
  help: `Usage: plugwire sign --key FILE [options] <entry> [files...]

Writes <entry>.manifest.json, listing <entry> (the executable, or the script an interpreter runs) and the other files
it needs with their SHA-256, and <entry>.manifest.json.sig, an ed25519 signature over the manifest's bytes. Every
file must be in <entry>'s directory or below it. Hosts (plugwire install, Client's verify option) then refuse the
plugin unless the signature verifies with a key they trust and every file matches.

Options:
  --key FILE             the private key from plugwire keygen (or set PLUGWIRE_SIGNING_KEY)
  --name NAME            the plugin's name, recorded in the manifest (default: the entry's file name)
  --plugin-version V     the plugin's semantic version, recorded in the manifest (hosts check ranges against it)
  -h, --help             this help

${EXIT_HELP}
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      key: { type: 'string' },
      name: { type: 'string' },
      'plugin-version': { type: 'string' },
    });
    const [entry, ...others] = positionals;
    if (entry === undefined) throw new UsageError('give the entry file to sign (and any other files it needs)');
    const privateKey = await signingKey(values.key as string | undefined);
    const dir = dirname(resolve(entry));
    const rel = (f: string): string => {
      const r = relative(dir, resolve(f));
      if (r.startsWith('..') || r === '') throw new UsageError(`${f} is not inside ${dir}, the entry's directory`);
      return r.split(sep).join('/');
    };
    const manifestPath = manifestFor(resolve(entry));
    const name = (values.name as string | undefined) ?? rel(entry).split('/').pop();
    const version = values['plugin-version'] as string | undefined;
    const manifest = await createManifest({
      dir,
      entry: rel(entry),
      files: others.map(rel),
      ...(name !== undefined && { name }),
      ...(version !== undefined && { version }),
    });
    await writeManifest(manifestPath, manifest);
    const sig = await signManifest(manifestPath, privateKey);
    io.stdout.write(
      `signed ${Object.keys(manifest.files).length} file(s) of ${manifest.name ?? manifest.entry}${manifest.version ? ` ${manifest.version}` : ''} ` +
        `with key ${sig.publicKey}\n  ${manifestPath}\n  ${manifestPath}.sig\n`,
    );
    return EXIT.ok;
  },
};

/** `plugwire verify`. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check plugins\' signatures and files against trusted keys',
  help: `Usage: plugwire verify --trust KEY [--range RANGE] <file...>

Checks each plugin: its manifest (<file>.manifest.json, or <file> itself when it is a manifest) must be signed by
one of the trusted keys, and every file it lists must match its SHA-256. With --range, its version must satisfy the
npm semver range too.

Options:
  --trust KEY            a trusted public key: base64, or a .pub file from plugwire keygen (repeatable)
  --range RANGE          npm semver range the plugin's version must satisfy, e.g. ^1.4.0
  -h, --help             this help

${EXIT_HELP}
`,
  async run(args, io) {
    const { values, positionals } = parse(args, { trust: { type: 'string', multiple: true }, range: { type: 'string' } });
    if (positionals.length === 0) throw new UsageError('give the plugin files (or manifests) to verify');
    const keys = await trustedKeys(values.trust as string[] | undefined);
    const paint = painter(io.stdout);
    let failed = 0;
    for (const file of positionals) {
      try {
        const { manifest, signer } = await checkSignedPlugin(manifestFor(file), keys, values.range as string | undefined);
        const n = Object.keys(manifest.files).length;
        io.stdout.write(
          `${paint('green', '✓')} ${file}: ${manifest.name ?? manifest.entry}${manifest.version ? ` ${manifest.version}` : ''}, ` +
            `signed by ${signer}, ${n} file(s) match\n`,
        );
      } catch (err) {
        failed++;
        io.stdout.write(`${paint('red', '✗')} ${file}: ${PluginError.from(err).message}\n`);
      }
    }
    return failed === 0 ? EXIT.ok : EXIT.failed;
  },
};
