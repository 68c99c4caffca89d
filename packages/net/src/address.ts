import { PluginError, type PluginAddress } from '@plugwire/core';

/** Longest address accepted from the other side: a unix socket path or host:port is far shorter. */
const MAX_ADDRESS_LENGTH = 4096;

/** Where to connect, as `node:net` takes it. */
export type SocketTarget =
  | {
      /** Path of a unix socket. */
      readonly path: string;
    }
  | {
      /** TCP host (an IP address or `localhost`). */
      readonly host: string;
      /** TCP port. */
      readonly port: number;
    };

/**
 * Checks an address another process sent (handshake line, broker ConnInfo) and returns it typed.
 * @param address - network and address as received
 * @throws PluginError `protocol` for an unknown network or an address no go-plugin peer would send
 */
export function parseAddress(address: { network: string; address: string }): PluginAddress {
  const { network, address: addr } = address;
  if (addr.length === 0 || addr.length > MAX_ADDRESS_LENGTH || /[\0\r\n]/.test(addr)) {
    throw new PluginError('protocol', `the plugin sent an unusable ${network} address ${JSON.stringify(addr.slice(0, 200))}`);
  }
  if (network === 'unix') return { network, address: addr };
  if (network === 'tcp') {
    const match = /^([^\s/]+):(\d{1,5})$/.exec(addr);
    if (!match || Number(match[2]) > 65535) {
      throw new PluginError('protocol', `the plugin sent an invalid tcp address ${JSON.stringify(addr.slice(0, 200))}`);
    }
    return { network, address: addr };
  }
  throw new PluginError('protocol', `Unknown address type: ${addr}`);
}

/**
 * The `node:net` connect target of an address (`{ path }` or `{ host, port }`, IPv6 brackets removed).
 * @param address - a checked address
 */
export function socketTarget(address: PluginAddress): SocketTarget {
  const checked = parseAddress(address);
  if (checked.network === 'unix') return { path: checked.address };
  const colon = checked.address.lastIndexOf(':');
  return { host: checked.address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(checked.address.slice(colon + 1)) };
}

/**
 * The grpc-js target of an address: `unix:<path>` or `host:port`.
 * @param address - network and address as received
 * @throws PluginError `protocol` as {@link parseAddress}
 */
export function grpcTarget(address: { network: string; address: string }): string {
  const checked = parseAddress(address);
  return checked.network === 'unix' ? `unix:${checked.address}` : checked.address;
}
