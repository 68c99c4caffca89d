// gRPC reflection on a TS plugin describes the plugin's own services, not only go-plugin's built-ins: the
// descriptors come from what the definition already has (here @grpc/proto-loader's; ts-proto's protoMetadata is
// proved end to end by packages/cli's `plugwire call` on the kv example without --protoset).
import * as grpc from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginError, serve, silentLogger, type ReattachConfig } from '../src/index.js';
import { implement, type ProtoSchema } from '../src/grpc.js';
import { greeter, GreeterService, handshake, politeGreeter } from './fixtures/greeter.js';

/** Fields of one protobuf message: field number → its length-delimited values. */
function fields(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [f, wt] = r.tag();
    if (wt !== WireType.LengthDelimited) {
      r.skip(wt);
      continue;
    }
    out.set(f, [...(out.get(f) ?? []), r.bytes()]);
  }
  return out;
}
const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString();

/** One ServerReflectionRequest (field `field` set to `value`) on reflection `version`; the response's fields. */
async function reflect(target: string, version: 'v1' | 'v1alpha', field: number, value: string): Promise<Map<number, Uint8Array[]>> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  try {
    const call = client.makeBidiStreamRequest<Record<string, never>, Buffer>(
      `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      () => Buffer.from(new BinaryWriter().tag(field, WireType.LengthDelimited).string(value).finish()),
      (b: Buffer) => b,
    );
    const reply = await new Promise<Buffer>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
      call.write({});
    });
    call.end();
    return fields(reply);
  } finally {
    client.close();
  }
}

let controller: AbortController;
let served: Promise<void>;
let target: string;

beforeAll(async () => {
  controller = new AbortController();
  const config = await new Promise<ReattachConfig>((resolve) => {
    served = serve({ handshake, plugins: { greeter: greeter.implement(politeGreeter()) }, logger: silentLogger, protocol: 'grpc', test: { signal: controller.signal, onReattachConfig: resolve } });
  });
  target = `unix:${config.address.address}`;
});

afterAll(async () => {
  controller.abort();
  await served;
});

describe('gRPC reflection on a plugin served by serve()', () => {
  for (const version of ['v1', 'v1alpha'] as const) {
    it(`${version} lists the plugin's own service beside the built-ins`, async () => {
      // list_services (7) → list_services_response (6) → service (1) → name (1)
      const response = await reflect(target, version, 7, '*');
      const names = fields(response.get(6)![0]!).get(1)!.map((s) => text(fields(s).get(1)?.[0]));
      expect(names).toContain('greeter.Greeter');
      expect(names).toContain('plugin.GRPCController');
    });

    it(`${version} describes the service's file, methods included`, async () => {
      // file_containing_symbol (4) → file_descriptor_response (4) → file_descriptor_proto (1)
      const response = await reflect(target, version, 4, 'greeter.Greeter');
      expect(response.has(7)).toBe(false); // no error_response
      const files = fields(response.get(4)![0]!).get(1)!.map((f) => fields(f));
      const file = files.find((f) => text(f.get(1)?.[0]) === 'greeter.proto');
      expect(file).toBeDefined();
      // FileDescriptorProto.service (6) → name (1), method (2) → name (1)
      const svc = fields(file!.get(6)![0]!);
      expect(text(svc.get(1)?.[0])).toBe('Greeter');
      expect(svc.get(2)!.map((m) => text(fields(m).get(1)?.[0]))).toEqual(['Greet', 'Count', 'Sum', 'Echo']);
    });
  }
});

describe('implement() schema option', () => {
  it('refuses a schema that is not ts-proto\'s protoMetadata, naming the fix', () => {
    const err = (() => {
      try {
        implement(GreeterService, {} as never, { schema: { references: {} } as unknown as ProtoSchema });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('invalid_argument');
    expect((err as PluginError).message).toContain('outputSchema=true');
  });

  it('keeps proto-loader\'s own file descriptors on the implementation', () => {
    const impl = implement(GreeterService, {} as never);
    expect(impl.descriptors.length).toBeGreaterThan(0);
    expect(impl.schema).toBeUndefined();
  });
});
