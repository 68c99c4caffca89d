import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { credentials } from '@grpc/grpc-js';
import { H2Channel } from '@plugwire/grpc-transport';
import { KVClient } from '../examples/src/gen/kv/kv.js';
const child = spawn('test/go/bin/explugin', ['kv', 'grpc'], { env: { ...process.env, BASIC_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
const mode = process.argv[2];
const channel = mode === 'h2' ? new H2Channel({ network: 'unix', address: line.split('|')[3]! }) : undefined;
const client = channel ? new KVClient('unused', credentials.createInsecure(), { channelOverride: channel }) : new KVClient(`unix:${line.split('|')[3]}`, credentials.createInsecure());
const get = () => new Promise((res, rej) => client.get({ key: 'small' }, (e, r) => (e ? rej(e) : res(r))));
for (let i = 0; i < 2000; i++) await get();
const lat: number[] = [];
for (let i = 0; i < 5000; i++) { const t = process.hrtime.bigint(); await get(); lat.push(Number(process.hrtime.bigint() - t) / 1000); }
lat.sort((a, b) => a - b);
console.log(mode, 'p50', lat[2500]!.toFixed(0), 'p99', lat[4950]!.toFixed(0), 'p99.9', lat[4995]!.toFixed(0));
channel?.close(); client.close(); child.kill();
