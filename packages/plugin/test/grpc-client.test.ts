// The gRPC promise client and promise handlers, on a service loaded at run time by @grpc/proto-loader: unary and
// the three streaming kinds, { signal }, errors as PluginError with the gRPC status, and a service definition made
// by another copy of grpc-js (the application's) working unchanged. Every test runs over both host transports: on
// h2 the helper calls straight through @plugwire/h2's caller, on grpc-js through grpc-js's client layer; the two
// must fail the same failures with the same codes.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, definePlugin, PluginError, serve, silentLogger, type AbortOptions, type ReattachConfig } from '../src/index.js';
import type { PromiseClient } from '../src/grpc.js';
import type { GreeterServiceDefinition } from './fixtures/greeter.js';
import { api, handshake, type Api } from './fixtures/promise-greeter.js';

const TRANSPORTS = ['h2', 'grpc-js'] as const;
type Transport = (typeof TRANSPORTS)[number];
/** The plugin serves on both gRPC servers: plugwire's h2 (the default) and grpc-js's. */
const SERVERS = ['h2', 'grpc-js'] as const;
type Server = (typeof SERVERS)[number];
const PAIRS = SERVERS.flatMap((server) => TRANSPORTS.map((transport) => ({ server, transport })));

let controller: AbortController;
const served: Promise<void>[] = [];
let config: ReattachConfig;
const clients = new Map<string, Client<{ api: typeof api }>>();
const apis = new Map<string, Api>();
const key = (server: Server, transport: Transport): string => `${server}/${transport}`;

beforeAll(async () => {
  controller = new AbortController();
  for (const server of SERVERS) {
    const reattach = await new Promise<ReattachConfig>((resolve) => {
      served.push(serve({ handshake, plugins: { api: api.implement({} as Api) }, grpcServer: server, logger: silentLogger, test: { signal: controller.signal, onReattachConfig: resolve } }));
    });
    if (server === 'h2') config = reattach;
    for (const transport of TRANSPORTS) {
      const c = new Client({ handshake, plugins: { api }, reattach, logger: silentLogger, grpcTransport: transport });
      clients.set(key(server, transport), c);
      apis.set(key(server, transport), await c.dispense('api'));
    }
  }
});

afterAll(async () => {
  // Aborted, not killed: the clients share the test-mode plugins (kill() would ask them to shut down).
  for (const c of clients.values()) c.abort();
  controller.abort();
  await Promise.all(served);
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

async function* numbers(...values: number[]): AsyncGenerator<{ value: number }> {
  for (const value of values) yield { value };
}

describe.each(PAIRS)('gRPC promise client on a proto-loader service, host transport $transport, plugin on the $server server', ({ server, transport }) => {
  let client: Client<{ api: typeof api }>;
  let greeter: PromiseClient<GreeterServiceDefinition>;
  beforeAll(() => {
    client = clients.get(key(server, transport))!;
    greeter = apis.get(key(server, transport))!.greeter;
  });

  it('calls unary methods as promises', async () => {
    expect(client.protocol()).toBe('grpc');
    expect(await greeter.Greet({ name: 'proto-loader' })).toEqual({ message: 'hello, proto-loader' });
  });

  it('turns the plugin’s errors into PluginErrors carrying the gRPC status', async () => {
    const failed = await greeter.Greet({ name: 'fail' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PluginError);
    expect(failed).toMatchObject({ code: 'remote', grpcStatus: 5 });
    expect((failed as PluginError).message).toMatch(/no such greeting/);
    const thrown = await greeter.Greet({ name: 'throw' }).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ code: 'remote', grpcStatus: 2 });
    expect((thrown as PluginError).message).toMatch(/plain failure/);
  });

  it('{ signal } cancels a call, and a deadline says timeout', async () => {
    const c = new AbortController();
    const pending = greeter.Greet({ name: 'hang' }, { signal: c.signal });
    c.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
    await expect(greeter.Greet({ name: 'hang' }, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ code: 'timeout' });
    await expect(greeter.Greet({ name: 'x' }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('server streams are async iterables, and a failure mid-stream throws a PluginError', async () => {
    expect(await collect(greeter.Count({ n: 2 }))).toEqual([{ value: 1 }, { value: 2 }]);
    const seen: number[] = [];
    const err = await (async () => {
      for await (const x of greeter.Count({ n: 3 })) seen.push(x.value);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1, 2, 3]);
    expect(err).toMatchObject({ code: 'remote', grpcStatus: 9 });
  });

  it('stopping early ends the stream', async () => {
    const first: number[] = [];
    for await (const x of greeter.Count({ n: 1000 })) {
      first.push(x.value);
      if (first.length === 2) break;
    }
    expect(first).toEqual([1, 2]);
  });

  it('client streams take any iterable; bidirectional streams give an async iterable', async () => {
    expect(await greeter.Sum(numbers(1, 2, 3, 4))).toEqual({ value: 10 });
    expect(await greeter.Sum([{ value: 5 }, { value: 6 }])).toEqual({ value: 11 });
    expect(await collect(greeter.Echo(numbers(1, 2, 3)))).toEqual([{ value: 2 }, { value: 4 }, { value: 6 }]);
  });
});

describe.each(TRANSPORTS)('a service definition from the application’s own copy of grpc-js, host transport %s', (transport) => {
  // Inside the repository, so that the copy's own dependencies resolve from the workspace's node_modules.
  const dir = mkdtempSync(join(import.meta.dirname, '.grpc-copy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('works: the client is built from the definition, never from another copy’s classes', async () => {
    // A real second installation of grpc-js and proto-loader, as an application with its own node_modules has.
    const from = createRequire(import.meta.url);
    cpSync(join(from.resolve('@grpc/grpc-js/package.json'), '..'), join(dir, 'node_modules/@grpc/grpc-js'), { recursive: true, dereference: true });
    const grpcCopy = createRequire(join(dir, 'app.js'))('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
    expect(grpcCopy.Metadata).not.toBe((await import('@grpc/grpc-js')).Metadata);
    const loaded = grpcCopy.loadPackageDefinition(loadSync(join(import.meta.dirname, 'fixtures/greeter.proto'))) as unknown as {
      greeter: { Greeter: { service: GreeterServiceDefinition } };
    };
    // The generated client constructor of the other copy (it carries `service`).
    const theirClient = loaded.greeter.Greeter;
    const conn = definePlugin<{ greet(name: string, o?: AbortOptions): Promise<string> }>({
      grpc: {
        server: () => undefined,
        client: (c) => {
          const g = c.client(theirClient);
          return { greet: async (name, o) => (await g.Greet({ name }, o)).message };
        },
      },
    });
    const second = new Client({ handshake, plugins: { conn }, reattach: config, logger: silentLogger, grpcTransport: transport });
    const g = await second.dispense('conn');
    expect(await g.greet('copy')).toBe('hello, copy');
    // Aborted, not killed: it shares the test-mode plugin with the other tests (kill() would ask it to shut down).
    second.abort();
  });
});

/** How a call failed, as a caller sees it. */
async function outcome(call: () => Promise<unknown>): Promise<{ code: string; grpcStatus: number | undefined }> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  const e = err as PluginError;
  return { code: e.code, grpcStatus: e.grpcStatus };
}

/** Failures every transport must report alike (the plugin is up). */
function failures(a: Api): Record<string, () => Promise<unknown>> {
  return {
    deadline: () => a.greeter.Greet({ name: 'hang' }, { signal: AbortSignal.timeout(30) }),
    abort: () => {
      const c = new AbortController();
      const pending = a.greeter.Greet({ name: 'hang' }, { signal: c.signal });
      setImmediate(() => c.abort());
      return pending;
    },
    'abort of a stream': async () => {
      const c = new AbortController();
      for await (const _ of a.greeter.Echo((async function* () {
        yield { value: 1 };
        await new Promise((resolve) => c.signal.addEventListener('abort', resolve));
      })(), { signal: c.signal })) c.abort();
    },
    unimplemented: () => a.missing.Missing({ name: 'x' }),
    'server error': () => a.greeter.Greet({ name: 'fail' }),
    'server throw': () => a.greeter.Greet({ name: 'throw' }),
    'stream error': async () => {
      for await (const _ of a.greeter.Count({ n: 3 }));
    },
  };
}

describe('h2 and grpc-js report the same failures the same way', () => {
  it('deadline, abort, UNIMPLEMENTED, server errors: on both host transports, against both plugin servers', async () => {
    const seen: Record<string, Record<string, unknown>> = {};
    for (const { server, transport } of PAIRS) {
      const k = key(server, transport);
      seen[k] = {};
      for (const [name, call] of Object.entries(failures(apis.get(k)!))) seen[k]![name] = await outcome(call);
    }
    for (const k of Object.keys(seen)) expect(seen[k], k).toEqual(seen['h2/h2']);
    expect(seen['h2/h2']).toEqual({
      deadline: { code: 'timeout', grpcStatus: undefined },
      abort: { code: 'aborted', grpcStatus: undefined },
      'abort of a stream': { code: 'aborted', grpcStatus: undefined },
      unimplemented: { code: 'unimplemented', grpcStatus: 12 },
      'server error': { code: 'remote', grpcStatus: 5 },
      'server throw': { code: 'remote', grpcStatus: 2 },
      'stream error': { code: 'remote', grpcStatus: 9 },
    });
  });

  it('the h2 transport calls without grpc-js’s client layer, the grpc-js one through it', async () => {
    // grpc-js reports a failed call as its ServiceError (with metadata), which the helper keeps as the cause.
    const cause = async (t: Transport): Promise<unknown> => ((await apis.get(key('h2', t))!.greeter.Greet({ name: 'fail' }).catch((e: unknown) => e)) as PluginError).cause;
    expect(await cause('grpc-js')).toHaveProperty('metadata');
    expect(await cause('h2')).toBeUndefined();
  });

  it('plugin death: pending unary and streaming calls say exited', async () => {
    const seen: Record<string, unknown> = {};
    for (const transport of TRANSPORTS) {
      const c = new Client({
        handshake,
        plugins: { api },
        cmd: { command: process.execPath, args: ['--import', 'tsx', join(import.meta.dirname, 'fixtures/promise-greeter-plugin.ts')] },
        logger: silentLogger,
        grpcTransport: transport,
      });
      try {
        const a = await c.dispense('api');
        expect(await a.greeter.Greet({ name: 'alive' })).toEqual({ message: 'hello, alive' });
        const unary = outcome(() => a.greeter.Greet({ name: 'hang' }));
        const stream = outcome(async () => {
          for await (const _ of a.greeter.Echo((async function* () {
            yield { value: 1 };
            await new Promise(() => {}); // never ends: the plugin dies first
          })()));
        });
        // Both calls are in flight on the plugin before it dies.
        await a.greeter.Greet({ name: 'sync' });
        process.kill(c.reattachConfig()!.pid, 'SIGKILL');
        seen[transport] = { unary: (await unary).code, stream: (await stream).code, after: (await outcome(() => a.greeter.Greet({ name: 'late' }))).code };
      } finally {
        await c.kill();
      }
    }
    expect(seen.h2).toEqual(seen['grpc-js']);
    expect(seen.h2).toEqual({ unary: 'exited', stream: 'exited', after: 'exited' });
  });
});
