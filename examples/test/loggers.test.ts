// The host logger is any object with trace/debug/info/warn/error: console and pino work as they are.
import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Client } from '@plugwire/plugin';
import { handshake, kv } from '../src/kv/definition.js';
import { nodePlugin } from './support.js';

function collect(stream: PassThrough): () => string {
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  return () => out;
}

async function launchWith(logger: ConstructorParameters<typeof Client>[0]['logger']): Promise<void> {
  const client = new Client({ handshake, plugins: { kv }, cmd: nodePlugin('kv/plugin-grpc.js'), allowedProtocols: ['grpc'], logger });
  await client.dispense('kv');
  await client.kill();
}

describe('host loggers', () => {
  it('pino receives mirrored plugin lines as structured entries at their level', async () => {
    const sink = new PassThrough();
    const out = collect(sink);
    await launchWith(pino({ level: 'trace' }, sink));
    const entries = out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const address = entries.find((e) => e.msg === 'plugin address');
    expect(address).toMatchObject({ level: 20, network: 'unix', plugin: 'node' });
    expect(entries.some((e) => e.msg === 'plugin process exited' && e.level === 30)).toBe(true);
  });

  it('console prints them too', async () => {
    const sink = new PassThrough();
    const out = collect(sink);
    await launchWith(new Console(sink, sink));
    expect(out()).toContain('plugin address');
    expect(out()).toContain("network: 'unix'");
  });
});
