// What the reliability tests share: a host Client for the misbehaving kv example plugin.
import { join } from 'node:path';
import { Client, silentLogger } from '@plugwire/plugin';
import { handshake, kv } from '../../examples/src/kv/definition.js';

/** The kv example plugin with misbehaviour modes (a key named `hang` never answers). */
export const misbehavingKv = join(import.meta.dirname, '../../examples/test/fixtures/misbehaving-kv.mjs');

/** A Client that launches {@link misbehavingKv} over `proto` and logs nothing. */
export function misbehavingKvClient(proto: 'grpc' | 'netrpc') {
  return new Client({
    handshake,
    plugins: { kv },
    cmd: { command: process.execPath, args: [misbehavingKv, proto] },
    allowedProtocols: [proto],
    logger: silentLogger,
  });
}
