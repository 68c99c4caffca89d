// Runs the real `plugwire` command (the package's bin, built by `npm test`'s build step) as a user would.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const root = resolve(here, '../../..');
/** The built `plugwire` executable, as node_modules/.bin/plugwire links it. */
export const bin = join(root, 'node_modules/.bin/plugwire');
/** A built example plugin. */
export const example = (file: string): string => {
  const path = join(root, 'examples/dist', file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return path;
};
/** A fixture of this package. */
export const fixture = (file: string): string => join(here, 'fixtures', file);

/** What a run of the command gave. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `plugwire <args>` to completion.
 * @param args - its arguments
 * @param options - working directory and extra environment
 */
export function plugwire(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Run> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm install\` and \`npm run build\` first`);
  return new Promise((resolvePromise) => {
    const child = execFile(
      bin,
      args,
      { cwd: options.cwd ?? root, env: { ...process.env, NO_COLOR: '1', ...options.env }, maxBuffer: 16 << 20, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        resolvePromise({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

const goForCross = ['/usr/local/go/bin/go', '/usr/bin/go'].find((g) => existsSync(g));

/**
 * A real Go program built for the other architecture (arm64 on x64, amd64 elsewhere), cached under
 * ~/.cache/plugwire. Returns undefined (and warns) when Go is missing on a dev machine; throws on CI.
 */
export async function foreignBinary(): Promise<string | undefined> {
  if (goForCross === undefined) {
    if (process.env.CI) throw new Error('CI must run the wrong-architecture test: install Go');
    console.warn('skipping the wrong-architecture case: Go is not installed');
    return undefined;
  }
  const arch = process.arch === 'arm64' ? 'amd64' : 'arm64';
  const dir = join(homedir(), '.cache/plugwire/cli-foreign-v1');
  const out = join(dir, `hello-${arch}`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const src = join(here, 'fixtures/foreign');
  const tmp = `${out}.${process.pid}.tmp`;
  await promisify(execFile)(goForCross, ['build', '-o', tmp, '.'], {
    cwd: src,
    env: { ...process.env, GOOS: 'linux', GOARCH: arch, CGO_ENABLED: '0', GO111MODULE: 'on', GOFLAGS: '-mod=mod' },
  });
  renameSync(tmp, out);
  return out;
}

/**
 * Compiles a .proto file into a FileDescriptorSet (`--protoset`) with protoc. Returns undefined (and warns) when
 * protoc is missing on a dev machine; throws on CI.
 * @param proto - the .proto file
 * @param out - where to write the set
 */
export async function protoset(proto: string, out: string): Promise<string | undefined> {
  const protoc = ['/usr/bin/protoc', '/usr/local/bin/protoc'].find((p) => existsSync(p));
  if (protoc === undefined) {
    if (process.env.CI) throw new Error('CI must run the plugwire call tests: apt-get install -y protobuf-compiler');
    console.warn('skipping: plugwire call tests need protoc (apt-get install -y protobuf-compiler)');
    return undefined;
  }
  await promisify(execFile)(protoc, ['--include_imports', `--descriptor_set_out=${out}`, '-I', dirname(proto), proto]);
  return out;
}
