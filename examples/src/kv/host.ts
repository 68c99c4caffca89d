// A host that launches a KV plugin (gRPC or netrpc, TypeScript or Go) and calls it.
import { Client } from '@plugwire/plugin';
import { handshake, kv as kvPlugin, type KV } from './definition.js';

/**
 * Launches the KV plugin at `command args`, puts and gets a value, and kills it.
 * @param command - the plugin executable
 * @param args - its arguments
 * @param log - where to print what happens
 */
export async function runKvHost(command: string, args: readonly string[], log: (line: string) => void): Promise<void> {
  const client = new Client({ handshake, plugins: { kv: kvPlugin }, cmd: { command, args } });
  try {
    const kv: KV = await client.dispense('kv');
    log(`kv: launched ${command} ${args.join(' ')} (pid ${client.reattachConfig()?.pid}, protocol ${client.protocol()})`);
    await kv.put('hello', new TextEncoder().encode('world'));
    log(`kv: put hello=world; get hello -> ${new TextDecoder().decode(await kv.get('hello'))}`);
    await client.ping();
    log('kv: ping ok');
  } finally {
    await client.kill();
    log(`kv: killed, exited=${client.exited()}`);
  }
}
