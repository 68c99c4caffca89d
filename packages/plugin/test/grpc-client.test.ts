// The gRPC promise client and promise handlers, on a service loaded at run time by @grpc/proto-loader: unary and
// the three streaming kinds, { signal }, errors as PluginError with the gRPC status, and a service definition made
// by another copy of grpc-js (the application's) working unchanged.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, definePlugin, PluginError, serve, silentLogger, type AbortOptions, type ReattachConfig } from '../src/index.js';
import { implement, type PromiseClient } from '../src/grpc.js';
import { GreeterService, handshake, type GreeterServiceDefinition } from './fixtures/greeter.js';

/** The plugin's surface in these tests is the promise client itself, plus a method that fails or hangs. */
interface Api {
  greeter: PromiseClient<GreeterServiceDefinition>;
}

const api = definePlugin<Api>({
  grpc: {
    server: () =>
      implement(GreeterService, {
        Greet: async ({ name }, { signal }) => {
          if (name === 'fail') throw new PluginError('not_found', 'no such greeting', { grpcStatus: 5 });
          if (name === 'throw') throw new Error('plain failure');
          if (name === 'hang') await new Promise((resolve) => signal.addEventListener('abort', resolve));
          return { message: `hello, ${name}` };
        },
        Count: async function* ({ n }) {
          for (let i = 1; i <= n; i++) yield { value: i };
          if (n === 3) throw new PluginError('internal', 'counted too far', { grpcStatus: 9 });
        },
        Sum: async (numbers) => {
          let value = 0;
          for await (const x of numbers) value += x.value;
          return { value };
        },
        Echo: async function* (numbers) {
          for await (const x of numbers) yield { value: x.value * 2 };
        },
      }),
    client: (conn) => ({ greeter: conn.client(GreeterService) }),
  },
});

let controller: AbortController;
let served: Promise<void>;
let client: Client<{ api: typeof api }>;
let greeter: PromiseClient<GreeterServiceDefinition>;

beforeAll(async () => {
  controller = new AbortController();
  const config = await new Promise<ReattachConfig>((resolve) => {
    served = serve({ handshake, plugins: { api: api.implement({} as Api) }, logger: silentLogger, test: { signal: controller.signal, onReattachConfig: resolve } });
  });
  client = new Client({ handshake, plugins: { api }, reattach: config, logger: silentLogger });
  greeter = (await client.dispense('api')).greeter;
});

afterAll(async () => {
  await client.kill();
  controller.abort();
  await served;
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

async function* numbers(...values: number[]): AsyncGenerator<{ value: number }> {
  for (const value of values) yield { value };
}

describe('gRPC promise client on a proto-loader service', () => {
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

describe('a service definition from the application’s own copy of grpc-js', () => {
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
    const second = new Client({ handshake, plugins: { conn }, reattach: client.reattachConfig()!, logger: silentLogger });
    const g = await second.dispense('conn');
    expect(await g.greet('copy')).toBe('hello, copy');
    // Aborted, not killed: it shares the test-mode plugin with the other tests (kill() would ask it to shut down).
    second.abort();
  });
});
