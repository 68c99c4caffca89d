import type { HandshakeConfig, ProtocolName } from '@plugwire/core';
import { UsageError } from './usage-error.js';

/** How `doctor` and `call` launch a plugin: what a go-plugin host's `ClientConfig` would say. */
export interface LaunchSpec {
  /** The plugin executable. */
  command: string;
  /** Its arguments. @default [] */
  args: string[];
  /** Its working directory. @default the current one */
  cwd?: string;
  /** Extra environment variables (`--env KEY=VALUE`). @default {} */
  env: Record<string, string>;
  /** The magic cookie (`--cookie KEY=VALUE`); undefined launches without one. */
  cookie?: HandshakeConfig;
  /** The host's plugin protocol versions (`--versions 1,2`). @default [1] */
  versions: number[];
  /** Protocols the host accepts (`--protocols grpc,netrpc`). @default both */
  protocols: ProtocolName[];
  /** How long to wait for the handshake, in ms (`--timeout`). @default 10000 */
  timeout: number;
  /** Ask for gRPC broker multiplexing (`--multiplex`). @default false */
  multiplexGrpc: boolean;
  /** AutoMTLS as go-plugin's host does it (`--auto-mtls`): a fresh client certificate, the plugin's pinned. @default false */
  autoMTLS: boolean;
}

/** The option definitions the launch commands share, for `util.parseArgs`. */
export const LAUNCH_OPTIONS = {
  cookie: { type: 'string' },
  versions: { type: 'string' },
  protocols: { type: 'string' },
  env: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  cwd: { type: 'string' },
  multiplex: { type: 'boolean' },
  'auto-mtls': { type: 'boolean' },
} as const;

/** Help text of the shared launch options. */
export const LAUNCH_HELP = `Launch options (what a go-plugin host's ClientConfig says):
  --cookie KEY=VALUE     the magic cookie (HandshakeConfig.MagicCookieKey/Value); go-plugin's examples use BASIC_PLUGIN=hello
  --versions 1,2         plugin protocol versions the host has plugin sets for (default 1)
  --protocols LIST       protocols the host allows: grpc, netrpc or grpc,netrpc (default grpc,netrpc;
                         go-plugin's own default is netrpc only)
  --env KEY=VALUE        extra environment variable for the plugin (repeatable)
  --timeout MS           how long to wait for the handshake line (default 10000)
  --cwd DIR              working directory of the plugin
  --multiplex            ask for gRPC broker multiplexing (PLUGIN_MULTIPLEX_GRPC=true)
  --auto-mtls            AutoMTLS as go-plugin's host does it: send a fresh client certificate
                         (PLUGIN_CLIENT_CERT), then connect with mutual TLS pinned to the plugin's certificate`;

/** Raw values of {@link LAUNCH_OPTIONS} as parseArgs returns them. */
export interface RawLaunchOptions {
  cookie?: string | undefined;
  versions?: string | undefined;
  protocols?: string | undefined;
  env?: string[] | undefined;
  timeout?: string | undefined;
  cwd?: string | undefined;
  multiplex?: boolean | undefined;
  'auto-mtls'?: boolean | undefined;
}

function keyValue(option: string, text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`${option} wants KEY=VALUE, got ${JSON.stringify(text)}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/**
 * Checks the launch options and applies defaults.
 * @param raw - parsed options
 * @param command - the command and its arguments (after `--`)
 * @throws UsageError naming the bad option
 */
export function validateLaunchSpec(raw: RawLaunchOptions, command: string[]): LaunchSpec {
  const [cmd, ...args] = command;
  if (cmd === undefined || cmd === '') throw new UsageError('give the plugin command after --, e.g. -- node plugin.js');
  const versions = (raw.versions ?? '1').split(',').map((v) => {
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n) || v.trim() === '') throw new UsageError(`--versions wants integers like 1,2, got ${JSON.stringify(raw.versions)}`);
    return n;
  });
  const protocols = (raw.protocols ?? 'grpc,netrpc').split(',').map((p) => p.trim());
  for (const p of protocols) {
    if (p !== 'grpc' && p !== 'netrpc') throw new UsageError(`--protocols takes grpc and/or netrpc, got ${JSON.stringify(p)}`);
  }
  const timeout = raw.timeout === undefined ? 10_000 : Number(raw.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout wants a positive number of ms, got ${JSON.stringify(raw.timeout)}`);
  const env: Record<string, string> = {};
  for (const e of raw.env ?? []) {
    const [k, v] = keyValue('--env', e);
    env[k] = v;
  }
  let cookie: HandshakeConfig | undefined;
  if (raw.cookie !== undefined) {
    const [k, v] = keyValue('--cookie', raw.cookie);
    cookie = { protocolVersion: versions[0] ?? 1, magicCookieKey: k, magicCookieValue: v };
  }
  return {
    command: cmd,
    args,
    ...(raw.cwd !== undefined && { cwd: raw.cwd }),
    env,
    ...(cookie !== undefined && { cookie }),
    versions,
    protocols: protocols as ProtocolName[],
    timeout,
    multiplexGrpc: raw.multiplex === true,
    autoMTLS: raw['auto-mtls'] === true,
  };
}
