// Builds the Go interop fixtures. Two sets:
// - go-plugin v1.0.1 (test/go/src/<pkg>), against Debian's go-plugin, yamux and grpc sources in GOPATH mode, as
//   PROTOCOL.md prescribes;
// - go-plugin v1.8 (test/go-modern, a Go module), through the Go module proxy, binaries cached outside the repo.
// Both build with Go 1.26 (/usr/local/go/bin/go), chosen by path, never by PATH: Go 1.26 still builds GOPATH mode
// with GO111MODULE=off, so Debian's Go 1.19 is not needed (apt still installs it as a dependency of the sources).
// On CI a missing toolchain is an error; on a developer machine the interop suites skip with what to install.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** GOPATH root of the fixtures: test/go/src/<pkg>/*.go. */
export const fixturesGopath = join(root, 'test/go');
const binDir = join(root, 'test/go/bin');

/** The Debian packages the interop tests need. */
export const GO_PACKAGES =
  'golang-go golang-github-hashicorp-go-plugin-dev golang-github-hashicorp-yamux-dev golang-goprotobuf-dev golang-google-grpc-dev protobuf-compiler';

/** The Go toolchain every fixture builds with (Go 1.26, from go.dev's tarball). */
export const GO = '/usr/local/go/bin/go';

const goBinary = existsSync(GO) ? GO : undefined;
const hasSources = existsSync('/usr/share/gocode/src/github.com/hashicorp/go-plugin');

/** True when the Go toolchain and Debian's go-plugin sources are installed. */
export const goAvailable = goBinary !== undefined && hasSources;

/** Why interop suites skip here, or undefined when they run. Throws on CI, where skipping is not allowed. */
export function goSkipReason(): string | undefined {
  if (goAvailable) return undefined;
  const reason = `Go interop tests need Go 1.26 at ${GO} and go-plugin sources: apt-get install -y ${GO_PACKAGES}`;
  if (process.env.CI) throw new Error(`CI must run the interop tests. ${reason}`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

/** Environment for `go build` in GOPATH mode with the fixtures first and Debian's sources second. */
export function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: `${fixturesGopath}:/usr/share/gocode`,
    GOFLAGS: '',
    CGO_ENABLED: '0',
  };
}

/**
 * Builds the Go package test/go/src/<pkg> and returns the path of its binary. Builds once per test run and
 * package (concurrent builders write to a temp name and rename).
 * @param pkg - import path below test/go/src, e.g. `kv/plugin-go-grpc`
 */
export async function buildGo(pkg: string): Promise<string> {
  if (!goBinary) throw new Error(`Go 1.26 is not installed at ${GO}; and apt-get install -y ${GO_PACKAGES}`);
  mkdirSync(binDir, { recursive: true });
  const out = join(binDir, pkg.replaceAll('/', '_'));
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await run(goBinary, ['build', '-o', tmp, pkg], { env: goEnv(), cwd: fixturesGopath, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`go build ${pkg} failed: ${e.stderr ?? e.message}`);
  }
  renameSync(tmp, out);
  return out;
}

/** The go-plugin v1.8 fixtures' module: test/go-modern. */
export const goModernDir = join(root, 'test/go-modern');

/** Environment for `go build` of the v1.8 module: module mode, go.sum must already hold every hash. */
export function goModernEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GO111MODULE: 'on',
    GOFLAGS: '-mod=readonly -buildvcs=false',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };
}

/** Binary cache of the v1.8 fixtures: ~/.cache/plugwire/go-modern/<hash of go.sum>. */
export function goModernBinDir(): string {
  const sum = createHash('sha256').update(readFileSync(join(goModernDir, 'go.sum'))).digest('hex').slice(0, 16);
  return join(homedir(), '.cache/plugwire/go-modern', sum);
}

/**
 * Builds a go-plugin v1.8 fixture and returns the path of its binary: a directory of test/go-modern (`explugin`,
 * `exhost`) or a module it requires (`exbench`, shared with v1.0.1). Modules come through the Go module proxy into
 * Go's module cache; the binary goes to {@link goModernBinDir}. Go's build cache makes a rebuild of unchanged
 * sources cheap; concurrent builders write to a temp name and rename.
 * @param pkg - directory below test/go-modern or a package path of its build list
 */
export async function buildGoModern(pkg: string): Promise<string> {
  if (!goBinary) throw new Error(`Go 1.26 is not installed at ${GO}; the go-plugin v1.8 fixtures need it`);
  const dir = goModernBinDir();
  mkdirSync(dir, { recursive: true });
  const out = join(dir, pkg.replaceAll('/', '_'));
  const tmp = `${out}.${process.pid}.tmp`;
  const target = existsSync(join(goModernDir, pkg)) ? `./${pkg}` : pkg;
  try {
    await run(goBinary, ['build', '-o', tmp, target], { env: goModernEnv(), cwd: goModernDir, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`go build ${pkg} (go-plugin v1.8 module) failed: ${e.stderr ?? e.message}`);
  }
  renameSync(tmp, out);
  return out;
}

/** One go-plugin release the interop suites run against. */
export interface GoPluginVersion {
  /** Release name, for test titles: `v1.0.1`, `v1.8.0`. */
  readonly version: string;
  /** True for releases with GRPCBroker multiplexing, GRPCStdio and the v1.6+ environment. */
  readonly modern: boolean;
  /** Builds one of the fixtures both sets have (`explugin`, `exhost`, `exbench`). */
  build(pkg: string): Promise<string>;
}

/** The go-plugin releases the interop suites are parametrised over (`describe.each(goPluginVersions)`). */
export const goPluginVersions: readonly GoPluginVersion[] = [
  { version: 'v1.0.1', modern: false, build: buildGo },
  { version: 'v1.8.0', modern: true, build: buildGoModern },
];
