import { PluginError } from '@plugwire/core';
import type { ProtocolName } from '@plugwire/core';
import { goQuote, parseGoInt } from './go-text.js';

/**
 * Parses `PLUGIN_PROTOCOL_VERSIONS` as a plugin does: comma-separated integers, sorted descending. An invalid
 * entry is reported with go-plugin's text (`server sent invalid plugin version "x"`) and skipped.
 * @param value - the variable's value; unset or empty gives no versions
 * @param onInvalid - receives the report of each invalid entry (a plugin writes it to stderr)
 */
export function parseProtocolVersions(value: string | undefined, onInvalid?: (message: string) => void): number[] {
  const versions: number[] = [];
  if (value === undefined || value === '') return versions;
  // Bounded: a hostile environment cannot make us parse more than this many entries.
  const entries = value.split(',', 4096);
  for (const entry of entries) {
    const v = parseGoInt(entry);
    if (v === undefined) {
      onInvalid?.(`server sent invalid plugin version ${goQuote(entry)}`);
      continue;
    }
    versions.push(v);
  }
  return versions.sort((a, b) => b - a);
}

/**
 * Picks the plugin protocol version as go-plugin's server does (PROTOCOL.md §1.5): the highest server version the
 * client also has; when they share none, the lowest server version (the client then reports the mismatch).
 * @param clientVersions - versions the host sent
 * @param serverVersions - versions the plugin serves
 * @throws PluginError `invalid_argument` when the plugin serves no version
 */
export function negotiateVersion(clientVersions: readonly number[], serverVersions: readonly number[]): number {
  if (serverVersions.length === 0) {
    throw new PluginError('invalid_argument', 'the plugin serves no protocol version; give it at least one plugin set');
  }
  const server = [...serverVersions].sort((a, b) => b - a);
  const client = new Set(clientVersions);
  for (const v of server) if (client.has(v)) return v;
  return server[server.length - 1] as number;
}

/**
 * The host's check of the version the plugin chose.
 * @param serverVersion - the version on the plugin's handshake line
 * @param hostVersions - the host's plugin-set versions
 * @throws PluginError `incompatible_version` with go-plugin's text when the host has no plugin set of that version
 */
export function checkServerVersion(serverVersion: number, hostVersions: readonly number[]): void {
  if (hostVersions.includes(serverVersion)) return;
  const list = [...hostVersions].sort((a, b) => a - b).join(' ');
  throw new PluginError(
    'incompatible_version',
    `incompatible API version with plugin. Plugin version: ${serverVersion}, Client versions: [${list}]\n\n` +
      'Host and plugin share no plugin protocol version: give the host a plugin set for that version or use a ' +
      'plugin built for one of the host versions.',
  );
}

/**
 * The host's check of the protocol the plugin chose.
 * @param protocol - the protocol on the plugin's handshake line
 * @param allowed - the protocols the host accepts
 * @throws PluginError `handshake` with go-plugin's text when `protocol` is not allowed
 */
export function checkProtocol(protocol: ProtocolName, allowed: readonly ProtocolName[]): void {
  if (allowed.includes(protocol)) return;
  throw new PluginError(
    'handshake',
    `unsupported plugin protocol ${goQuote(protocol)}. Supported: [${allowed.join(' ')}]\n\n` +
      `Allow "${protocol}" in the host's allowed protocols, or serve the plugin over one of these.`,
  );
}

/** go-plugin's `ErrGRPCBrokerMuxNotSupported` text. */
export const MUX_NOT_SUPPORTED_MESSAGE = 'client requested gRPC broker multiplexing but plugin does not support the feature';

/**
 * The host's check, when it asked for gRPC broker multiplexing (`PLUGIN_MULTIPLEX_GRPC`), that a gRPC plugin
 * announced support for it in field 7 of its handshake line; go-plugin (since v1.6.0) refuses such a plugin.
 * @param handshake - the parsed handshake
 * @param requested - whether the host asked for multiplexing
 * @throws PluginError `handshake` when multiplexing was requested from a gRPC plugin that does not support it
 */
export function checkMuxSupport(handshake: { protocol: ProtocolName; muxSupported?: boolean }, requested: boolean): void {
  if (!requested || handshake.protocol !== 'grpc' || handshake.muxSupported === true) return;
  throw new PluginError(
    'handshake',
    `${MUX_NOT_SUPPORTED_MESSAGE}; for Go plugins, you will need to update the github.com/hashicorp/go-plugin ` +
      'dependency and recompile',
  );
}
