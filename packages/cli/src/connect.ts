import type * as grpc from '@grpc/grpc-js';
import type { ClientProtocol } from '@plugwire/core';
import { silentLogger } from '@plugwire/core';
import { connectGrpc } from '@plugwire/grpc-transport';
import type { Handshake } from '@plugwire/handshake';
import { connectNetRpc } from '@plugwire/netrpc-transport';
import type { TransportTls } from '@plugwire/net';

/** A connection to a plugin: the transport, and for gRPC the channel for reflection and raw calls. */
export interface PluginConnection {
  /** The transport's connection (ping = health / Control.Ping, close = Shutdown / Control.Quit). */
  protocol: ClientProtocol;
  /** The gRPC channel (gRPC plugins only). */
  channel?: grpc.Channel;
}

// A plugin definition whose client is the channel itself: the CLI calls methods it learns at run time.
const CHANNEL = '__plugwire_cli_channel';

/**
 * Connects to the plugin at the handshake's address over its protocol, as a host does.
 * @param handshake - the parsed handshake line
 * @param exited - fires when the plugin process exits
 * @param tls - mutual TLS (AutoMTLS) settings; plaintext without
 */
export async function connectPlugin(handshake: Handshake, exited: AbortSignal, tls?: TransportTls): Promise<PluginConnection> {
  const address = { network: handshake.network, address: handshake.address };
  if (handshake.protocol === 'grpc') {
    const protocol = await connectGrpc({
      address,
      logger: silentLogger,
      exited,
      plugins: { [CHANNEL]: { client: (_broker, channel) => channel } },
      ...(tls !== undefined && { tls }),
    });
    const channel = (await protocol.dispense(CHANNEL)) as grpc.Channel;
    return { protocol, channel };
  }
  return { protocol: await connectNetRpc({ address, logger: silentLogger, exited, plugins: {}, ...(tls !== undefined && { tls }) }) };
}
