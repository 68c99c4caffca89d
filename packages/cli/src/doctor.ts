// `plugwire doctor`: launches a plugin as a go-plugin host would and reports every step, naming the cause and the
// fix when one fails.
import { X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type * as grpc from '@grpc/grpc-js';
import { PluginError } from '@plugwire/core';
import { checkMuxSupport, checkProtocol, checkServerVersion, unrecognizedMessage } from '@plugwire/handshake';
import type { Handshake } from '@plugwire/handshake';
import { decodeHandshakeCert, generateIdentity, mutualTls } from '@plugwire/net';
import type { TransportTls } from '@plugwire/net';
import { pluginFileNotes, resolveCommand } from '@plugwire/process';
import { connectPlugin } from './connect.js';
import type { PluginConnection } from './connect.js';
import { describeExit, exitDiagnosis } from './diagnosis.js';
import type { Diagnosis } from './diagnosis.js';
import type { LaunchSpec } from './launch-spec.js';
import { observe, pluginEnv } from './observe.js';
import type { ExitInfo, ObservedPlugin, StderrEntry } from './observe.js';
import { reflect } from './reflection-client.js';

/** The status of one step. */
export type StepStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One step of the doctor's report. */
export interface Step {
  /** Stable id: file, start, stdout, handshake, version, protocol, tls, connect, health, services, shutdown, stderr. */
  id: string;
  /** What was checked. */
  title: string;
  /** How it went. */
  status: StepStatus;
  /** Time the step took, in ms. */
  ms: number;
  /** Details, one per line. */
  details: string[];
}

/** A gRPC service the plugin exposes, from reflection. */
export interface ServiceInfo {
  /** Full name, e.g. `proto.KV`. */
  name: string;
  /** Its methods, e.g. `Get(proto.GetRequest) returns (proto.GetResponse)`; empty when not described. */
  methods: string[];
}

/** Everything `plugwire doctor` found, as `--json` prints it. */
export interface DoctorReport {
  /** Whether a go-plugin host with these options would load and use the plugin. */
  ok: boolean;
  /** The command and its arguments. */
  command: string[];
  /** The plugin's process id, when it started. */
  pid?: number;
  /** The steps, in order. */
  steps: Step[];
  /** Facts about the executable (path, mode, owner, architecture). */
  file: string[];
  /** What the plugin printed on stdout before its handshake line. */
  stdoutBeforeHandshake: string[];
  /** The handshake line and its fields, when one came. */
  handshake?: {
    /** The line as printed. */
    line: string;
  } & Handshake;
  /** The plugin protocol version the plugin chose, when the host has it. */
  negotiatedVersion?: number;
  /** Health (`plugin` SERVING) for gRPC, Control.Ping for netrpc. */
  health?: 'SERVING' | 'PING_OK' | 'FAILED';
  /** Which reflection version answered (gRPC), or null when the plugin serves none. */
  reflection?: 'v1' | 'v1alpha' | null;
  /** The gRPC services the plugin lists. */
  services?: ServiceInfo[];
  /** The plugin's stderr entries at their levels. */
  stderr: StderrEntry[];
  /** How the process ended, and whether it needed a SIGKILL. */
  exit?: ExitInfo & {
    /** Whether it had to be killed after the grace period. */
    forced: boolean;
    /** Whether the plugin acknowledged the request to shut down (Shutdown / Control.Quit). */
    graceful: boolean;
  };
  /** The first problem found, with its fix. */
  diagnosis?: Diagnosis;
}

/** Receives steps as they start and end (the terminal output). */
export interface DoctorReporter {
  /** A step starts (a spinner may run until it ends). */
  begin(title: string): void;
  /** A step ended. */
  end(step: Step): void;
}

const KILL_WAIT_MS = 2000;
// The services go-plugin (and plugwire) serve besides the plugin's own; listed on one line.
const GO_PLUGIN_SERVICES = new Set([
  'plugin.GRPCBroker',
  'plugin.GRPCController',
  'plugin.GRPCStdio',
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
]);
// How long a plugin may take to answer Shutdown / Control.Quit before doctor signals it instead.
const CLOSE_WAIT_MS = 3000;
// How long health / Control.Ping may take.
const PING_WAIT_MS = 5000;

class Timer {
  private readonly start = performance.now();
  ms(): number {
    return Math.round((performance.now() - this.start) * 10) / 10;
  }
}

function methodLine(m: { name: string; methodKind: string; input: { typeName: string }; output: { typeName: string } }): string {
  const client = m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming' ? 'stream ' : '';
  const server = m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming' ? 'stream ' : '';
  return `${m.name}(${client}${m.input.typeName}) returns (${server}${m.output.typeName})`;
}

/** The 6th handshake field decoded: go-plugin sends the plugin's AutoMTLS certificate as unpadded base64 DER. */
export function certSummary(cert: string | undefined): string {
  if (cert === undefined) return 'none (no AutoMTLS)';
  try {
    const x509 = new X509Certificate(Buffer.from(cert, 'base64'));
    const key = x509.publicKey.asymmetricKeyDetails;
    const keyText = x509.publicKey.asymmetricKeyType === 'ec' ? `ECDSA ${key?.namedCurve ?? ''}`.trim() : (x509.publicKey.asymmetricKeyType ?? 'unknown key');
    return `${x509.subject.replace(/\n/g, ', ')}; ${keyText}; valid ${x509.validFrom} to ${x509.validTo}; SHA-256 ${x509.fingerprint256}`;
  } catch (err) {
    return `${Math.floor((cert.length * 3) / 4)} bytes that are not an X.509 certificate (${(err as Error).message})`;
  }
}

/**
 * Runs the doctor.
 * @param spec - what to launch and how
 * @param reporter - receives steps as they happen
 * @returns the full report; never throws for a plugin problem
 */
export async function doctor(spec: LaunchSpec, reporter: DoctorReporter): Promise<DoctorReport> {
  const report: DoctorReport = {
    ok: false,
    command: [spec.command, ...spec.args],
    steps: [],
    file: [],
    stdoutBeforeHandshake: [],
    stderr: [],
  };
  const step = (s: Step): void => {
    report.steps.push(s);
    reporter.end(s);
  };
  const fail = (d: Diagnosis): void => {
    report.diagnosis ??= d;
  };

  // 1. The executable.
  let t = new Timer();
  reporter.begin('executable');
  const env = pluginEnv(spec);
  report.file = pluginFileNotes(spec.command, spec.cwd, env.PATH);
  const resolved = resolveCommand(spec.command, spec.cwd, env.PATH);
  const foreign = report.file.find((n) => n.includes('built for another architecture') || n.includes('cannot run on'));
  const notExec = report.file.find((n) => n.includes('may not execute it'));
  step({
    id: 'file',
    title: 'executable',
    status: resolved === undefined || foreign || notExec ? 'fail' : 'ok',
    ms: t.ms(),
    details: resolved === undefined || foreign || notExec ? report.file : [report.file.join('; ')],
  });

  // 2. Launch and wait for the handshake line.
  t = new Timer();
  reporter.begin(`launch and wait for the handshake (up to ${spec.timeout} ms)`);
  const identity = spec.autoMTLS ? generateIdentity() : undefined;
  const plugin = observe(spec, identity?.certPem);
  if (plugin.pid !== undefined) report.pid = plugin.pid;
  const outcome = await plugin.started;
  report.stdoutBeforeHandshake = [...plugin.noise];
  const startMs = t.ms();
  const pidNote = plugin.pid !== undefined ? [`pid ${plugin.pid}`] : [];

  let handshake: Handshake | undefined;
  switch (outcome.kind) {
    case 'spawn-error': {
      const e = outcome.error;
      if (e.code === 'ENOENT') {
        fail({
          cause: 'not_found',
          problem: `${spec.command} was not found (ENOENT)`,
          fix: 'check the path of the plugin (relative paths start from --cwd or the current directory) or its name in PATH',
        });
      } else if (e.code === 'EACCES') {
        fail({
          cause: 'not_executable',
          problem: `${spec.command} is not executable by this user (EACCES)`,
          fix: `make it executable: chmod +x ${resolved ?? spec.command}`,
        });
      } else if (e.code === 'ENOEXEC' || foreign) {
        fail({
          cause: 'wrong_architecture',
          problem: `${spec.command} cannot run on this machine (${e.code ?? e.message}): ${foreign ?? 'exec format error'}`,
          fix: `rebuild the plugin for ${process.platform}/${process.arch} (for Go: GOOS=${process.platform} GOARCH=${goArch()} go build)`,
        });
      } else {
        fail({ cause: 'not_found', problem: `cannot start ${spec.command}: ${e.message}`, fix: 'check the command and its permissions' });
      }
      step({ id: 'start', title: 'launch', status: 'fail', ms: startMs, details: [`spawn failed: ${e.code ?? ''} ${e.message}`.trim()] });
      break;
    }
    case 'exited': {
      const lines = plugin.lastStderrLines();
      const d = exitDiagnosis(outcome.exit, lines, spec.cookie && { key: spec.cookie.magicCookieKey, value: spec.cookie.magicCookieValue });
      if (foreign && d.cause === 'exited') {
        fail({
          cause: 'wrong_architecture',
          problem: `the plugin cannot run here: ${foreign}`,
          fix: `rebuild the plugin for ${process.platform}/${process.arch} (for Go: GOOS=${process.platform} GOARCH=${goArch()} go build)`,
        });
      } else fail(d);
      const tail = lines.slice(-10).map((l) => `  ${l}`);
      step({
        id: 'start',
        title: 'launch',
        status: 'fail',
        ms: startMs,
        details: [...pidNote, `exited before the handshake: ${describeExit(outcome.exit)}`, ...(tail.length > 0 ? ['last stderr lines:', ...tail] : ['no stderr output'])],
      });
      break;
    }
    case 'timeout': {
      fail({
        cause: 'timeout',
        problem: `no handshake line on stdout within ${spec.timeout} ms; the plugin is still running`,
        fix:
          'a go-plugin plugin prints its handshake line as soon as it listens: check that it calls plugin.Serve (serve()) ' +
          'early, that it is not waiting for input or a lock, or raise --timeout if it starts slowly',
        hostSees: `timeout while waiting for plugin to start`,
      });
      step({ id: 'start', title: 'launch', status: 'fail', ms: startMs, details: [...pidNote, 'timed out waiting for the handshake line'] });
      break;
    }
    case 'stdout-closed':
    case 'line-too-long': {
      const first = report.stdoutBeforeHandshake[0] ?? (outcome.kind === 'line-too-long' ? outcome.start : '');
      fail({
        cause: 'not_a_plugin',
        problem:
          outcome.kind === 'line-too-long'
            ? 'the plugin printed a stdout line longer than 64 KiB, which no handshake line is'
            : 'the plugin closed stdout without printing a handshake line',
        fix: 'run a go-plugin plugin (one that calls plugin.Serve / serve()); check that the command is the plugin and not a wrapper',
        hostSees: unrecognizedMessage(first, { noLines: outcome.kind === 'stdout-closed' && first === '' }).trim(),
      });
      step({ id: 'start', title: 'launch', status: 'fail', ms: startMs, details: [...pidNote, `no handshake line (${outcome.kind})`] });
      break;
    }
    case 'bad-handshake': {
      fail({
        cause: 'bad_handshake',
        problem: `the handshake line is malformed: ${outcome.error.split('\n')[0] ?? outcome.error}`,
        fix: 'the plugin and host disagree on the handshake format; rebuild the plugin against a current go-plugin (or plugwire)',
        hostSees: outcome.error,
      });
      step({ id: 'start', title: 'launch', status: 'fail', ms: startMs, details: [...pidNote, `handshake line: ${outcome.line}`] });
      break;
    }
    case 'handshake':
      handshake = outcome.handshake;
      step({ id: 'start', title: 'launch', status: 'ok', ms: startMs, details: [`${pidNote.join('')}: handshake line after ${startMs} ms`] });
      break;
  }

  // 3. stdout before the handshake.
  if (report.stdoutBeforeHandshake.length > 0) {
    const first = report.stdoutBeforeHandshake[0] as string;
    if (handshake !== undefined) {
      fail({
        cause: 'stdout_noise',
        problem: `the plugin printed ${report.stdoutBeforeHandshake.length} line(s) on stdout before its handshake line; a go-plugin host reads only the first line`,
        fix: 'stdout belongs to the handshake until it is printed: write logs and banners to stderr (or print them after serve() starts)',
        hostSees: unrecognizedMessage(first).trim(),
      });
    } else if (report.diagnosis?.cause === 'timeout' || report.diagnosis?.cause === 'not_a_plugin' || report.diagnosis?.cause === 'exited') {
      report.diagnosis = {
        cause: 'not_a_plugin',
        problem: 'the first stdout line is not a go-plugin handshake line',
        fix: 'run the plugin itself, and keep its stdout free for the handshake line: log to stderr',
        hostSees: unrecognizedMessage(first, { notes: report.file }).trim(),
      };
    }
    step({
      id: 'stdout',
      title: 'stdout before the handshake',
      status: 'fail',
      ms: 0,
      details: report.stdoutBeforeHandshake.slice(0, 10).map((l) => `  ${JSON.stringify(l)}`),
    });
  } else if (handshake !== undefined) {
    step({ id: 'stdout', title: 'stdout before the handshake', status: 'ok', ms: 0, details: ['nothing (good: the handshake line came first)'] });
  }

  let connection: PluginConnection | undefined;
  if (handshake !== undefined) {
    report.handshake = { line: outcome.kind === 'handshake' ? outcome.line : '', ...handshake };
    step({
      id: 'handshake',
      title: 'handshake line',
      status: 'ok',
      ms: 0,
      details: [
        handshake.serverCert === undefined ? report.handshake.line : report.handshake.line.replace(handshake.serverCert, `<certificate, ${handshake.serverCert.length} characters>`),
        `core protocol version  ${handshake.coreVersion}`,
        `app protocol version   ${handshake.protocolVersion}`,
        `network                ${handshake.network}`,
        `address                ${handshake.address}`,
        `protocol               ${handshake.protocol}`,
        `server certificate     ${certSummary(handshake.serverCert)}`,
        `multiplexing           ${handshake.muxSupported === undefined ? 'not announced' : String(handshake.muxSupported)}`,
      ],
    });

    // 4. Version and protocol, as the host checks them.
    let compatible = true;
    try {
      checkServerVersion(handshake.protocolVersion, spec.versions);
      report.negotiatedVersion = handshake.protocolVersion;
      step({ id: 'version', title: 'negotiated version', status: 'ok', ms: 0, details: [`${handshake.protocolVersion} (host versions: ${spec.versions.join(', ')})`] });
    } catch (err) {
      compatible = false;
      fail({
        cause: 'version_mismatch',
        problem: `the plugin chose protocol version ${handshake.protocolVersion}, which the host (versions ${spec.versions.join(', ')}) has no plugin set for`,
        fix: `pass --versions with the versions your host supports; the plugin and host must share one (the plugin picks the highest common one)`,
        hostSees: (err as Error).message.split('\n')[0] ?? '',
      });
      step({ id: 'version', title: 'negotiated version', status: 'fail', ms: 0, details: [(err as Error).message.split('\n')[0] ?? ''] });
    }
    try {
      checkProtocol(handshake.protocol, spec.protocols);
      checkMuxSupport(handshake, spec.multiplexGrpc);
      step({ id: 'protocol', title: 'protocol allowed', status: 'ok', ms: 0, details: [`${handshake.protocol} (allowed: ${spec.protocols.join(', ')})`] });
    } catch (err) {
      compatible = false;
      const message = (err as Error).message.split('\n')[0] ?? '';
      fail({
        cause: 'protocol_not_allowed',
        problem: `the plugin serves ${handshake.protocol}, which the host does not allow: ${message}`,
        fix: `add ${handshake.protocol} to the host's AllowedProtocols (go-plugin allows only netrpc by default), or --protocols ${handshake.protocol} here`,
        hostSees: message,
      });
      step({ id: 'protocol', title: 'protocol allowed', status: 'fail', ms: 0, details: [message] });
    }

    // AutoMTLS: the plugin answers the host's certificate with its own, which the host pins.
    let tls: TransportTls | undefined;
    if (compatible && (identity !== undefined || handshake.serverCert !== undefined)) {
      const problem = tlsProblem(identity !== undefined, handshake.serverCert);
      if (problem !== undefined) {
        compatible = false;
        fail(problem);
        step({ id: 'tls', title: 'AutoMTLS', status: 'fail', ms: 0, details: [problem.problem] });
      } else if (identity !== undefined && handshake.serverCert !== undefined) {
        tls = mutualTls(identity, decodeHandshakeCert(handshake.serverCert));
        step({
          id: 'tls',
          title: 'AutoMTLS',
          status: 'ok',
          ms: 0,
          details: ['host certificate sent in PLUGIN_CLIENT_CERT; the plugin\'s certificate (handshake field 6) pinned; TLS 1.2+ both ways'],
        });
      }
    }

    // 5. Connect, health, services.
    if (compatible) {
      const exited = exitSignal(plugin);
      t = new Timer();
      reporter.begin(`connect over ${handshake.protocol}`);
      try {
        connection = await connectPlugin(handshake, exited.signal, tls);
      } catch (err) {
        const e = PluginError.from(err);
        fail({
          cause: 'connect_failed',
          problem: `cannot connect to the plugin at ${handshake.network}:${handshake.address}: ${e.message}`,
          fix: 'the plugin printed an address it does not listen on: it must listen before printing the handshake line',
        });
        step({ id: 'connect', title: `connect over ${handshake.protocol}`, status: 'fail', ms: t.ms(), details: [e.message] });
      }
      if (connection !== undefined) {
        try {
          await healthStep(connection, report, step, t);
        } catch (err) {
          const cause = PluginError.from(err);
          const e = cause.code === 'aborted' || cause.code === 'timeout' ? new PluginError('timeout', `no answer within ${PING_WAIT_MS} ms`, { cause }) : cause;
          const what = handshake.protocol === 'grpc' ? 'the gRPC health check (service "plugin")' : 'Control.Ping';
          fail({
            cause: 'unhealthy',
            problem: `the plugin does not answer ${what} at ${handshake.network}:${handshake.address}: ${e.message}`,
            fix:
              handshake.protocol === 'grpc'
                ? 'a go-plugin gRPC plugin serves grpc.health.v1.Health with service "plugin" SERVING: serve through go-plugin (or plugwire) rather than a bare gRPC server'
                : 'the plugin must serve go-plugin\'s netrpc protocol (yamux, then net/rpc with Control.Ping) on the address it printed',
          });
          report.health = 'FAILED';
          step({ id: 'health', title: handshake.protocol === 'grpc' ? 'health' : 'Control.Ping', status: 'fail', ms: t.ms(), details: [e.message] });
          // It will not answer Shutdown either: drop the connection and stop the process with a signal.
          connection.protocol.abort(e);
          connection = undefined;
        }
      }
      if (connection?.channel !== undefined) await servicesStep(connection.channel, spec.timeout, report, step, reporter);
    }
  }

  // 6. Shutdown and exit status.
  t = new Timer();
  if (!plugin.hasExited() && plugin.pid !== undefined) reporter.begin('shut down');
  let graceful = false;
  if (connection !== undefined) {
    const conn = connection;
    let timer: NodeJS.Timeout | undefined;
    graceful = await Promise.race([
      conn.protocol.close().catch(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (!graceful) {
      conn.protocol.abort(new PluginError('closed', 'plugwire doctor stopped waiting for the shutdown'));
      plugin.signal('SIGTERM');
    }
  } else if (!plugin.hasExited()) {
    plugin.signal('SIGTERM');
  }
  const { exit, forced } = await plugin.stop(KILL_WAIT_MS);
  report.stderr = [...plugin.stderr];
  if (plugin.pid !== undefined) {
    report.exit = { ...exit, forced, graceful };
    const clean = connection !== undefined && graceful && !forced && exit.code === 0;
    const how = connection !== undefined ? (graceful ? 'asked to shut down (acknowledged)' : 'asked to shut down (no answer within 3 s: SIGTERM)') : 'stopped with SIGTERM';
    step({
      id: 'shutdown',
      title: 'shutdown',
      status: handshake === undefined ? 'skip' : clean ? 'ok' : 'warn',
      ms: t.ms(),
      details: [how, forced ? `did not exit within ${KILL_WAIT_MS} ms: killed (SIGKILL)` : describeExit(exit)],
    });
  }
  const counts = new Map<string, number>();
  for (const e of report.stderr) counts.set(e.level, (counts.get(e.level) ?? 0) + 1);
  step({
    id: 'stderr',
    title: 'stderr log lines',
    status: (counts.get('error') ?? 0) > 0 ? 'warn' : 'ok',
    ms: 0,
    details:
      report.stderr.length === 0
        ? ['none']
        : [
            [...counts].map(([l, n]) => `${n} ${l}`).join(', '),
            ...report.stderr.slice(-15).map((e) => `  [${e.level.toUpperCase()}] ${e.message}${fieldText(e.fields)}`),
          ],
  });
  report.ok = report.diagnosis === undefined && report.steps.every((s) => s.status !== 'fail');
  return report;
}

function tlsProblem(asked: boolean, serverCert: string | undefined): Diagnosis | undefined {
  if (asked && serverCert === undefined) {
    return {
      cause: 'tls',
      problem: 'AutoMTLS was asked for (PLUGIN_CLIENT_CERT set) but the plugin printed no certificate in its handshake line',
      fix: 'the plugin does not do AutoMTLS: serve it with a go-plugin (or plugwire) that does, or leave AutoMTLS off in the host (drop --auto-mtls)',
    };
  }
  if (!asked && serverCert !== undefined) {
    return {
      cause: 'tls',
      problem: 'the plugin printed a TLS certificate although the host did not ask for AutoMTLS: it serves TLS the host cannot speak',
      fix: 'turn on AutoMTLS in the host (here: --auto-mtls), or give the host the TLS configuration the plugin was built with',
    };
  }
  return undefined;
}

function fieldText(fields: Record<string, unknown>): string {
  const entries = Object.entries(fields).filter(([k]) => k !== 'timestamp');
  if (entries.length === 0) return '';
  const text = entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}

function goArch(): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[process.arch] ?? process.arch;
}

function exitSignal(plugin: ObservedPlugin): AbortController {
  const c = new AbortController();
  void plugin.exit.then((e) => c.abort(new PluginError('exited', `the plugin exited: ${describeExit(e)}`)));
  return c;
}

async function healthStep(connection: PluginConnection, report: DoctorReport, step: (s: Step) => void, t: Timer): Promise<void> {
  const grpcPlugin = connection.protocol.protocol === 'grpc';
  await connection.protocol.ping({ signal: AbortSignal.timeout(PING_WAIT_MS) });
  report.health = grpcPlugin ? 'SERVING' : 'PING_OK';
  step({
    id: 'health',
    title: grpcPlugin ? 'health' : 'Control.Ping',
    status: 'ok',
    ms: t.ms(),
    details: [grpcPlugin ? 'grpc.health.v1.Health/Check service "plugin": SERVING' : 'Control.Ping answered'],
  });
}

async function servicesStep(channel: grpc.Channel, timeout: number, report: DoctorReport, step: (s: Step) => void, reporter: DoctorReporter): Promise<void> {
  const t = new Timer();
  reporter.begin('list services (gRPC reflection)');
  try {
    const reflected = await reflect(channel, timeout);
    if (reflected === undefined) {
      report.reflection = null;
      step({
        id: 'services',
        title: 'services',
        status: 'warn',
        ms: t.ms(),
        details: ['the plugin serves no gRPC reflection (current go-plugin registers it; old ones such as v1.0.1 do not): its services cannot be listed'],
      });
      return;
    }
    report.reflection = reflected.version;
    report.services = reflected.services.map((name) => {
      const desc = reflected.registry.getService(name);
      return { name, methods: desc ? desc.methods.map(methodLine) : [] };
    });
    const details = [`reflection ${reflected.version}`];
    const builtins = report.services.filter((svc) => GO_PLUGIN_SERVICES.has(svc.name)).map((svc) => svc.name);
    const own = report.services.filter((svc) => !GO_PLUGIN_SERVICES.has(svc.name));
    if (own.length === 0) details.push('  no services of its own are described (only go-plugin\'s built-ins)');
    for (const svc of own) {
      details.push(`  ${svc.name}${svc.methods.length === 0 ? ' (not described)' : ''}`);
      for (const m of svc.methods) details.push(`    ${m}`);
    }
    if (builtins.length > 0) details.push(`  go-plugin built-ins: ${builtins.join(', ')}`);
    step({ id: 'services', title: 'services', status: 'ok', ms: t.ms(), details });
  } catch (err) {
    report.reflection = null;
    step({ id: 'services', title: 'services', status: 'warn', ms: t.ms(), details: [`reflection failed: ${PluginError.from(err).message}`] });
  }
}
