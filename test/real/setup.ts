// Builds and caches the real programs the test/real suites drive: a HashiCorp Terraform provider and OpenTofu
// (unmodified, from the Go module proxy, built with the machine's Go), and a Python venv with the Python ports of
// go-plugin (from PyPI). Everything lives outside the repo in ~/.cache/plugwire (or $PLUGWIRE_CACHE), keyed by
// version, so only the first run on a machine pays for the builds. `tsx test/real/setup.ts` runs every step and
// prints how long each took (.ci/run does that before the tests).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const repoRoot = resolve(here, '../..');

/** Where built programs and the venv are kept between runs. */
export const cacheDir = process.env.PLUGWIRE_CACHE ?? join(homedir(), '.cache/plugwire');

/** The HashiCorp provider the TypeScript host drives (terraform-plugin-framework, protocol 5). */
export const TIME_PROVIDER = { module: 'github.com/hashicorp/terraform-provider-time', version: 'v0.14.2' } as const;
/** OpenTofu, the real host that drives the TypeScript provider. */
export const OPENTOFU = { module: 'github.com/opentofu/opentofu', version: 'v1.10.10' } as const;
/** The pinned Python packages (python-plugin is imported as `pyplugin`). */
export const PY_REQUIREMENTS = join(here, 'python/requirements.txt');

const goCandidates = ['/usr/local/go/bin/go', '/usr/lib/go/bin/go', '/usr/bin/go'];

async function goVersionOf(go: string): Promise<number> {
  try {
    const { stdout } = await exec(go, ['env', 'GOVERSION']);
    const m = /^go1\.(\d+)/.exec(stdout.trim());
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

let goFound: Promise<string | undefined> | undefined;
/** A Go toolchain of at least 1.21 (module mode, toolchain switching), or undefined. */
export function findModuleGo(): Promise<string | undefined> {
  goFound ??= (async () => {
    for (const go of goCandidates) if (existsSync(go) && (await goVersionOf(go)) >= 21) return go;
    return undefined;
  })();
  return goFound;
}

/** Python 3.11 or newer, or undefined. */
export async function findPython(): Promise<string | undefined> {
  for (const py of ['python3.11', 'python3']) {
    try {
      const { stdout } = await exec(py, ['-c', 'import sys; print(sys.version_info >= (3, 11))']);
      if (stdout.trim() === 'True') return py;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/**
 * Says whether a real-program suite can run. Missing tools skip a suite on a developer machine (with a message);
 * on CI they are an error, since CI must run every real-program test.
 * @param what - the suite, for the message
 * @param missing - what is missing, or undefined when nothing is
 */
export function skipUnlessAvailable(what: string, missing: string | undefined): boolean {
  if (missing === undefined) return false;
  const reason = `${what} needs ${missing}`;
  if (process.env.CI) throw new Error(`CI must run ${what}: ${reason}`);
  console.warn(`skipping: ${reason}`);
  return true;
}

async function nice(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return exec('nice', ['-n', '10', command, ...args], { maxBuffer: 64 << 20, ...options });
}

function goEnv(): NodeJS.ProcessEnv {
  // Module mode whatever the caller's environment says (the Debian fixtures use GOPATH mode).
  return { ...process.env, GO111MODULE: 'on', GOFLAGS: '-mod=readonly', CGO_ENABLED: '0' };
}

/** Downloads a module from the Go module proxy and returns its directory in the module cache. */
async function downloadModule(go: string, module: string, version: string): Promise<string> {
  const { stdout } = await nice(go, ['mod', 'download', '-json', `${module}@${version}`], { cwd: cacheDir, env: goEnv() });
  const dir = (JSON.parse(stdout) as { Dir?: string; Error?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${module}@${version} gave no directory: ${stdout}`);
  return dir;
}

/**
 * Builds `pkg` of an unmodified module at a pinned version into `<cache>/<name>/<version>/<binary>`, once. The
 * module is copied out of the read-only module cache and built inside itself, with its own go.mod and go.sum
 * (`go install module@version` refuses modules with replace directives, as OpenTofu's go.mod has).
 */
async function buildModule(name: string, module: string, version: string, pkg: string, binary: string, ldflags = ''): Promise<string> {
  const dir = join(cacheDir, name, version);
  const out = join(dir, binary);
  if (existsSync(out)) return out;
  const go = await findModuleGo();
  if (!go) throw new Error(`building ${module}@${version} needs Go 1.21 or newer (/usr/local/go/bin/go)`);
  mkdirSync(dir, { recursive: true });
  const src = await downloadModule(go, module, version);
  const work = join(dir, `src.${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  cpSync(src, work, { recursive: true, mode: 0 });
  await exec('chmod', ['-R', 'u+w', work]);
  const tmp = `${out}.${process.pid}`;
  try {
    await nice(go, ['build', '-trimpath', `-ldflags=-s -w ${ldflags}`, '-o', tmp, pkg], { cwd: work, env: goEnv() });
    renameSync(tmp, out); // concurrent builders: the last rename wins, both binaries are the same program
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
  return out;
}

/** terraform-provider-time, built once; returns the executable's path. */
export function ensureTimeProvider(): Promise<string> {
  const { module, version } = TIME_PROVIDER;
  return buildModule('providers/terraform-provider-time', module, version, '.', 'terraform-provider-time');
}

/** OpenTofu's `tofu`, built once; returns the executable's path. */
export function ensureTofu(): Promise<string> {
  const { module, version } = OPENTOFU;
  // As OpenTofu's release builds do: without this, `tofu version` says v1.x.y-dev.
  return buildModule('tofu', module, version, './cmd/tofu', 'tofu', '-X github.com/opentofu/opentofu/version.dev=no');
}

const kvProto = join(repoRoot, 'examples/proto/kv/kv.proto');

/** The venv's directory: `<cache>/venv-<hash of the requirements and the kv .proto>`. */
export function venvDir(): string {
  const hash = createHash('sha256').update(readFileSync(PY_REQUIREMENTS)).update(readFileSync(kvProto)).digest('hex').slice(0, 12);
  return join(cacheDir, `venv-${hash}`);
}

/** The Python venv: its interpreter and the generated kv protobuf modules' directory (for PYTHONPATH). */
export interface Venv {
  readonly python: string;
  readonly gen: string;
}

/**
 * Creates the venv `<cache>/venv-<hash of requirements>` with the pinned Python ports, and generates the kv
 * service's Python code (grpcio and grpclib flavours) into it. Reuses it when it is complete.
 */
export async function ensureVenv(): Promise<Venv> {
  const requirements = readFileSync(PY_REQUIREMENTS, 'utf8');
  const dir = venvDir();
  const python = join(dir, 'bin/python');
  const gen = join(dir, 'gen');
  const done = join(dir, '.complete');
  if (existsSync(done)) return { python, gen };
  const system = await findPython();
  if (!system) throw new Error('the Python ports need Python 3.11 or newer');
  // Several test files may get here at once: one creates the venv, the others wait for its mark.
  mkdirSync(cacheDir, { recursive: true });
  const lock = `${dir}.lock`;
  try {
    mkdirSync(lock);
  } catch {
    for (let i = 0; i < 1200 && !existsSync(done); i++) await new Promise((r) => setTimeout(r, 500));
    if (existsSync(done)) return { python, gen };
    throw new Error(`another process has been creating ${dir} for 10 minutes; remove ${lock} if it died`);
  }
  try {
    rmSync(dir, { recursive: true, force: true });
    await nice(system, ['-m', 'venv', dir]);
    await nice(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', PY_REQUIREMENTS]);
    mkdirSync(gen, { recursive: true });
    await nice(
      python,
      ['-m', 'grpc_tools.protoc', `-I${dirname(kvProto)}`, `--python_out=${gen}`, `--grpc_python_out=${gen}`, `--grpclib_python_out=${gen}`, kvProto],
      { env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` } },
    );
    writeFileSync(done, requirements);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return { python, gen };
}

async function timed(name: string, step: () => Promise<unknown>, cached: boolean): Promise<void> {
  const start = Date.now();
  await step();
  console.log(`setup: ${name} ${cached ? 'warm' : 'cold'} in ${((Date.now() - start) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const has = (name: string, version: string, binary: string) => existsSync(join(cacheDir, name, version, binary));
  await timed(`terraform-provider-time ${TIME_PROVIDER.version}`, ensureTimeProvider, has('providers/terraform-provider-time', TIME_PROVIDER.version, 'terraform-provider-time'));
  await timed('python venv (python-plugin, pyvider-rpcplugin)', ensureVenv, existsSync(join(venvDir(), '.complete')));
  await timed(`OpenTofu ${OPENTOFU.version}`, ensureTofu, has('tofu', OPENTOFU.version, 'tofu'));
}
