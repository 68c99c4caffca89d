// Builds the Go interop fixtures (test/go/src/<pkg>) against Debian's go-plugin, yamux and grpc sources in
// GOPATH mode, as PROTOCOL.md prescribes. On CI a missing Go toolchain is an error; on a developer machine the
// interop suites skip with a message saying what to install.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
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

function findGo(): string | undefined {
  for (const candidate of ['/usr/bin/go', '/usr/lib/go/bin/go', '/usr/local/go/bin/go']) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const goBinary = findGo();
const hasSources = existsSync('/usr/share/gocode/src/github.com/hashicorp/go-plugin');

/** True when the Go toolchain and Debian's go-plugin sources are installed. */
export const goAvailable = goBinary !== undefined && hasSources;

/** Why interop suites skip here, or undefined when they run. Throws on CI, where skipping is not allowed. */
export function goSkipReason(): string | undefined {
  if (goAvailable) return undefined;
  const reason = `Go interop tests need Go and go-plugin sources: apt-get install -y ${GO_PACKAGES}`;
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
  if (!goBinary) throw new Error(`Go is not installed: apt-get install -y ${GO_PACKAGES}`);
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
