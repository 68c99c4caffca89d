import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { PluginError, abortError, throwIfAborted } from '@plugwire/core';
import {
  MAX_HANDSHAKE_LINE,
  checkMuxSupport,
  checkProtocol,
  checkServerVersion,
  clientEnv,
  parseHandshake,
  unrecognizedMessage,
} from '@plugwire/handshake';
import type { Handshake } from '@plugwire/handshake';
import { mirrorStderr } from '@plugwire/logging';
import type { StderrMirror } from '@plugwire/logging';
import type { PreparedLaunch } from '@plugwire/trust';
import { verifyChecksum } from './verify.js';
import { pluginFileNotes, resolveCommand } from './diagnose.js';
import { createPluginProcess } from './handle.js';
import { safeLog } from './log.js';
import { validateLaunchOptions } from './options.js';
import type { LaunchOptions, PluginRunner, RunSpec, ValidLaunchOptions } from './options.js';
import type { PluginProcess, ProcessExit } from './types.js';
import { settleWithin } from './wait.js';
import { StdoutNoise } from './noise.js';
import { OWN_PROCESS_GROUP, planSpawn, removeStaleSocket, signalGroup } from './tree.js';

// After the process exits, how long its stderr may take to drain (a grandchild can hold the pipe open).
const STDERR_DRAIN_MS = 1_000;
// After stdout closes without a line, how long to wait for the exit that usually follows.
const STDOUT_CLOSED_GRACE_MS = 2_000;

function describeExit(exit: ProcessExit): string {
  return exit.signal !== null ? `killed by signal ${exit.signal}` : `exit status ${String(exit.code)}`;
}

function stderrTail(mirror: StderrMirror): string {
  const lines = mirror.lastLines();
  return lines.length === 0
    ? '\nThe plugin wrote nothing to stderr.'
    : `\nLast lines the plugin wrote to stderr:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

function spawnError(err: unknown, o: ValidLaunchOptions, env: Record<string, string>): PluginError {
  if (err instanceof PluginError) return err;
  const e = err as NodeJS.ErrnoException;
  if (o.cwd !== undefined && !existsSync(o.cwd)) {
    return new PluginError('invalid_argument', `cwd ${o.cwd} does not exist; give the plugin an existing working directory`, {
      cause: err,
    });
  }
  const notes = pluginFileNotes(o.command, o.cwd, env.PATH).map((n) => `\n  ${n}`).join('');
  if (e.code === 'ENOENT') {
    return new PluginError('not_found', `plugin executable ${o.command} not found (ENOENT); check the command path${notes}`, {
      cause: err,
    });
  }
  if (e.code === 'EACCES' || e.code === 'ENOEXEC') {
    const why = e.code === 'EACCES' ? 'permission denied (EACCES): make it executable' : 'exec format error (ENOEXEC): rebuild it for this system';
    return new PluginError('handshake', `cannot execute plugin ${o.command}: ${why}${notes}`, { cause: err });
  }
  return new PluginError('unavailable', `cannot start plugin ${o.command}: ${e.message}${notes}`, { cause: err });
}

/** Starts the plugin through the user's runner, checking that it gave back what launch() needs. */
function runWith(runner: PluginRunner, spec: RunSpec): ChildProcess {
  let child: ChildProcess;
  try {
    child = runner(spec);
  } catch (err) {
    throw new PluginError('unavailable', `the runner could not start plugin ${spec.command}: ${PluginError.from(err).message}`, { cause: err });
  }
  if (typeof child !== 'object' || child === null || typeof child.once !== 'function' || !child.stdout || !child.stderr) {
    throw new PluginError('invalid_argument', 'the runner must return a ChildProcess with stdout and stderr piped (spawn with stdio [..., "pipe", "pipe"])');
  }
  return child;
}

function nextLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function closeStream(stream: Readable | null): Promise<void> {
  if (stream === null || stream.closed) return;
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.destroy();
  await closed;
}

/**
 * The handshake line, read with go-plugin's rules, except that up to `maxLinesBeforeHandshake` lines that cannot be
 * one (a banner, a warning) are logged and skipped first; everything after it is drained and dropped.
 */
function readHandshakeLine(
  child: ChildProcess,
  stdout: Readable,
  o: ValidLaunchOptions,
  exited: AbortSignal,
  mirror: StderrMirror,
  noise: StdoutNoise,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let graceTimer: NodeJS.Timeout | undefined;
    const discard = (): void => {};

    const finish = (): void => {
      clearTimeout(startTimer);
      clearTimeout(graceTimer);
      stdout.removeListener('data', onData);
      stdout.removeListener('end', onEnd);
      exited.removeEventListener('abort', onExit);
      o.signal?.removeEventListener('abort', onAbort);
      // Keep draining stdout so the plugin never blocks writing to fd 1.
      stdout.on('data', discard);
    };
    const fail = (err: PluginError): void => {
      finish();
      reject(err);
    };
    const notes = (): string[] => pluginFileNotes(o.command, o.cwd, process.env.PATH);
    const unrecognized = (why: string): PluginError =>
      new PluginError('handshake', `${unrecognizedMessage(noise.first, { notes: notes() })}${why}${noise.describe()}${stderrTail(mirror)}`);
    /** Takes one complete line; true when it settled the promise. */
    const onLine = (line: string): boolean => {
      if (!StdoutNoise.isNoise(line)) {
        finish();
        resolve(line);
        return true;
      }
      noise.add(line);
      if (noise.count > o.maxLinesBeforeHandshake) {
        fail(unrecognized(`
No handshake line within the first ${o.maxLinesBeforeHandshake + 1} lines of stdout (maxLinesBeforeHandshake).`));
        return true;
      }
      return false;
    };
    const onData = (chunk: Buffer): void => {
      let rest = chunk;
      for (let nl = rest.indexOf(10); nl >= 0; nl = rest.indexOf(10)) {
        chunks.push(rest.subarray(0, nl));
        const line = Buffer.concat(chunks).toString('utf8');
        chunks.length = 0;
        length = 0;
        rest = rest.subarray(nl + 1);
        if (onLine(line)) return;
      }
      chunks.push(rest);
      length += rest.length;
      if (length > MAX_HANDSHAKE_LINE) {
        const start = Buffer.concat(chunks).subarray(0, 512).toString('utf8');
        fail(
          new PluginError(
            'handshake',
            `${unrecognizedMessage(start)}\nThe plugin's stdout line is longer than ${MAX_HANDSHAKE_LINE} bytes, ` +
              `which no handshake line is.${noise.describe()}${stderrTail(mirror)}`,
          ),
        );
      }
    };
    const onEnd = (): void => {
      const partial = Buffer.concat(chunks).toString('utf8');
      graceTimer = setTimeout(() => {
        // go-plugin's scanner still returns an unterminated last line.
        if (partial.trim() !== '' && onLine(partial)) return;
        if (noise.count > 0) {
          fail(unrecognized('\nThe plugin closed its stdout without a handshake line.'));
          return;
        }
        fail(new PluginError('handshake', `${unrecognizedMessage('', { noLines: true, notes: notes() })}${stderrTail(mirror)}`));
      }, STDOUT_CLOSED_GRACE_MS);
    };
    const onExit = (): void => {
      const exit: ProcessExit = { code: child.exitCode, signal: child.signalCode };
      const fileNotes =
        exit.code === 126 || exit.code === 127
          ? `\nAdditional notes about plugin:${notes()
              .map((n) => `\n  ${n}`)
              .join('')}`
          : '';
      fail(
        new PluginError(
          'exited',
          `plugin exited before we could connect: ${describeExit(exit)}${noise.describe()}${stderrTail(mirror)}${fileNotes}`,
          { exitCode: exit.code, signal: exit.signal },
        ),
      );
    };
    const onAbort = (): void => fail(abortError(o.signal as AbortSignal, 'plugin launch'));
    const startTimer = setTimeout(() => {
      fail(
        new PluginError(
          'timeout',
          `timeout while waiting for plugin to start: no handshake line on stdout after ${o.startTimeout} ms. ` +
            'Check that the plugin serves with the same magic cookie, or raise startTimeout if it starts slowly.' +
            noise.describe() +
            stderrTail(mirror),
        ),
      );
    }, o.startTimeout);
    stdout.on('data', onData);
    stdout.once('end', onEnd);
    exited.addEventListener('abort', onExit, { once: true });
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function checkHandshake(line: string, o: ValidLaunchOptions, mirror: StderrMirror): Handshake {
  let handshake: Handshake;
  try {
    handshake = parseHandshake(line);
  } catch (err) {
    const e = PluginError.from(err, 'handshake');
    // Fewer than four fields is go-plugin's "Unrecognized remote plugin message": add what we know of the file.
    if (line.trim().split('|').length < 4 && line.length <= MAX_HANDSHAKE_LINE) {
      const notes = pluginFileNotes(o.command, o.cwd, process.env.PATH);
      throw new PluginError('handshake', `${unrecognizedMessage(line.trim(), { notes })}${stderrTail(mirror)}`, {
        cause: e,
      });
    }
    throw e;
  }
  checkServerVersion(handshake.protocolVersion, o.versions);
  checkProtocol(handshake.protocol, o.allowedProtocols);
  checkMuxSupport(handshake, o.multiplexGrpc === true);
  return handshake;
}

/**
 * Launches a plugin and reads its handshake, as go-plugin's `Client.Start` does: builds the environment, spawns
 * the command (stdin shared with the host, stdout and stderr piped), mirrors stderr to the logger, reads the first
 * stdout line within `startTimeout`, and checks it. On every failure the process is killed before the promise
 * rejects.
 * @param options - what to launch and how
 * @returns the running plugin process
 * @throws PluginError `invalid_argument`, `not_found` (no such executable), `checksum`, `handshake`,
 *   `incompatible_version`, `timeout`, `exited`, `aborted` or `unavailable`
 */
export async function launch(options: LaunchOptions): Promise<PluginProcess> {
  const o = validateLaunchOptions(options);
  throwIfAborted(o.signal, 'plugin launch');
  const env = clientEnv({
    handshake: o.handshake,
    versions: o.versions,
    ...(o.env !== undefined && { env: o.env }),
    ...(o.skipHostEnv !== undefined && { skipHostEnv: o.skipHostEnv }),
    ...(o.minPort !== undefined && { minPort: o.minPort }),
    ...(o.maxPort !== undefined && { maxPort: o.maxPort }),
    ...(o.unixSocketDir !== undefined && { unixSocketDir: o.unixSocketDir }),
    ...(o.unixSocketGroup !== undefined && { unixSocketGroup: o.unixSocketGroup }),
    ...(o.multiplexGrpc !== undefined && { multiplexGrpc: o.multiplexGrpc }),
    ...(o.clientCert !== undefined && { clientCert: o.clientCert }),
  });
  const name = basename(o.command);
  if (o.secureConfig !== undefined) {
    const file = resolveCommand(o.command, o.cwd, env.PATH);
    if (file === undefined) {
      throw new PluginError('not_found', `plugin executable ${o.command} not found in PATH; check the command`);
    }
    await verifyChecksum(file, o.secureConfig, o.signal ? { signal: o.signal } : {});
  }
  // Signed plugins run from private copies of the checked files, so what runs is what was checked.
  let prepared: PreparedLaunch | undefined;
  if (o.verify !== undefined) {
    // Loaded only here: @plugwire/trust pulls in semver (~50 ms and ~8 MiB RSS at start-up).
    const { prepareVerifiedLaunch } = await import('@plugwire/trust');
    prepared = await prepareVerifiedLaunch({
      command: o.command,
      args: o.args ?? [],
      verify: o.verify,
      ...(o.cwd !== undefined && { cwd: o.cwd }),
      ...(o.version !== undefined && { version: o.version }),
      ...(o.signal !== undefined && { signal: o.signal }),
    });
    safeLog(o.logger, 'debug', { plugin: name, version: prepared.manifest.version, dir: prepared.dir }, 'plugin signature verified');
  }

  let child: ChildProcess;
  try {
    if (o.runner) {
      child = runWith(o.runner, { command: prepared?.command ?? o.command, args: prepared?.args ?? o.args ?? [], cwd: o.cwd, env });
    } else {
      const plan = planSpawn(prepared?.command ?? o.command, prepared?.args ?? o.args ?? [], o.cwd, env.PATH, o.dieWithHost !== false);
      // Its own session: kill() reaches the whole tree through the group, and a plugin reading the host's terminal
      // is not stopped by SIGTTIN as a background process group of the host's session would be.
      child = spawn(plan.command, [...plan.args], { cwd: o.cwd, env, stdio: ['inherit', 'pipe', 'pipe'], detached: OWN_PROCESS_GROUP });
    }
  } catch (err) {
    await prepared?.close();
    throw spawnError(err, o, env);
  }
  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  if (child.pid === undefined) {
    const err = await new Promise<unknown>((resolve) => child.once('error', resolve));
    await Promise.all([closeStream(stdout), closeStream(stderr)]);
    await nextLoopTurn();
    await nextLoopTurn();
    await prepared?.close();
    throw spawnError(err, o, env);
  }
  const pid = child.pid;
  // A later 'error' (a failed kill) must not crash the host.
  child.on('error', (err) => safeLog(o.logger, 'debug', { plugin: name, pid, error: err.message }, 'plugin process error'));

  const mirror = mirrorStderr(stderr, {
    logger: o.logger,
    name,
    ...(o.stderr !== undefined && { stderr: o.stderr }),
    ...(o.logLevel !== undefined && { level: o.logLevel }),
    ...(o.logBufferSize !== undefined && { bufferSize: o.logBufferSize }),
  });

  const exitedController = new AbortController();
  let exitSeen: ProcessExit | undefined;
  let stopping = false;
  let socketPath: string | undefined;
  const exit = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      const info: ProcessExit = { code, signal };
      exitSeen = info;
      void prepared?.close();
      // Whatever the plugin started dies with it, and a socket it could not remove (SIGKILL) goes too.
      signalGroup(pid, 'SIGKILL');
      if (socketPath !== undefined) removeStaleSocket(socketPath);
      void settleWithin(mirror.done, STDERR_DRAIN_MS).then(() => {
        const failed = code !== 0 && !stopping;
        safeLog(
          o.logger,
          failed ? 'error' : 'info',
          { plugin: name, path: o.command, pid, ...(code !== null ? { code } : { signal }) },
          'plugin process exited',
        );
        exitedController.abort(
          new PluginError('exited', `plugin ${name} (pid ${pid}) exited: ${describeExit(info)}${stderrTail(mirror)}`, {
            exitCode: code,
            signal,
          }),
        );
        resolve(info);
      });
    });
  });

  let released: Promise<void> | undefined;
  const release = (): Promise<void> => {
    released ??= (async () => {
      await exit;
      await prepared?.close();
      await Promise.all([closeStream(stdout), closeStream(stderr)]);
      await mirror.done;
      // libuv frees the process handle in the close phase after the exit; two turns of the loop pass it, so
      // callers that count active handles see none of ours once kill() resolves.
      await nextLoopTurn();
      await nextLoopTurn();
    })();
    return released;
  };
  const signal = (sig: NodeJS.Signals): boolean => {
    if (exitSeen !== undefined) return false;
    if (sig === 'SIGKILL' || sig === 'SIGTERM') stopping = true;
    // SIGKILL takes the whole tree; a graceful SIGTERM goes to the plugin alone, which may stop its children.
    const group = sig === 'SIGKILL' && signalGroup(pid, sig);
    try {
      return child.kill(sig) || group;
    } catch {
      return group;
    }
  };

  let handshake: Handshake;
  try {
    const line = await readHandshakeLine(child, stdout, o, exitedController.signal, mirror, new StdoutNoise(o.logger, name));
    handshake = checkHandshake(line, o, mirror);
    if (handshake.network === 'unix') socketPath = handshake.address;
  } catch (err) {
    signal('SIGKILL');
    await release();
    throw PluginError.from(err);
  }

  return createPluginProcess({
    pid,
    name,
    handshake,
    logger: o.logger,
    killTimeout: o.killTimeout,
    gracefulOnly: false,
    exited: exitedController.signal,
    exit,
    hasExited: () => exitSeen !== undefined,
    signal,
    expectExit: () => {},
    release,
    reattachConfig: () => ({
      protocol: handshake.protocol,
      protocolVersion: handshake.protocolVersion,
      address: { network: handshake.network, address: handshake.address },
      pid,
    }),
  });
}
