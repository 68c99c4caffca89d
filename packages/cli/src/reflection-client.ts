// A gRPC server reflection client (grpc.reflection.v1, falling back to v1alpha): lists the plugin's services and
// fetches the file descriptors that describe them, so that `doctor` can list methods and `call` can build requests
// from JSON. The reflection messages are small and stable, so they are encoded by hand with the wire helpers.
import * as grpc from '@grpc/grpc-js';
import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import type { FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import type { DescriptorProto, FieldDescriptorProto, FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { PluginError } from '@plugwire/core';

const PATHS = {
  v1: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  v1alpha: '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
} as const;

/** Which reflection version answered. */
export type ReflectionVersion = keyof typeof PATHS;

type Request = { listServices: true } | { fileContainingSymbol: string } | { fileByFilename: string };

interface Response {
  services?: string[];
  files?: Uint8Array[];
  error?: { code: number; message: string };
}

function encodeRequest(req: Request): Buffer {
  const w = new BinaryWriter();
  if ('listServices' in req) w.tag(7, WireType.LengthDelimited).string('');
  else if ('fileContainingSymbol' in req) w.tag(4, WireType.LengthDelimited).string(req.fileContainingSymbol);
  else w.tag(3, WireType.LengthDelimited).string(req.fileByFilename);
  return Buffer.from(w.finish());
}

function decodeResponse(bytes: Buffer): Response {
  const r = new BinaryReader(bytes);
  const out: Response = {};
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 4 && type === WireType.LengthDelimited) {
      const inner = new BinaryReader(r.bytes());
      out.files ??= [];
      while (inner.pos < inner.len) {
        const [f, t] = inner.tag();
        if (f === 1 && t === WireType.LengthDelimited) out.files.push(inner.bytes());
        else inner.skip(t);
      }
    } else if (field === 6 && type === WireType.LengthDelimited) {
      const inner = new BinaryReader(r.bytes());
      out.services ??= [];
      while (inner.pos < inner.len) {
        const [f, t] = inner.tag();
        if (f === 1 && t === WireType.LengthDelimited) {
          const svc = new BinaryReader(inner.bytes());
          while (svc.pos < svc.len) {
            const [sf, st] = svc.tag();
            if (sf === 1 && st === WireType.LengthDelimited) out.services.push(svc.string());
            else svc.skip(st);
          }
        } else inner.skip(t);
      }
    } else if (field === 7 && type === WireType.LengthDelimited) {
      const inner = new BinaryReader(r.bytes());
      const error = { code: 0, message: '' };
      while (inner.pos < inner.len) {
        const [f, t] = inner.tag();
        if (f === 1 && t === WireType.Varint) error.code = inner.int32();
        else if (f === 2 && t === WireType.LengthDelimited) error.message = inner.string();
        else inner.skip(t);
      }
      out.error = error;
    } else r.skip(type);
  }
  return out;
}

/** What reflection told about the plugin. */
export interface Reflected {
  /** The reflection version that answered. */
  version: ReflectionVersion;
  /** Every service name the plugin lists. */
  services: string[];
  /** The descriptors of the services that could be resolved. */
  registry: FileRegistry;
  /** Services whose descriptors could not be had, with why. */
  unresolved: Record<string, string>;
}

/** One reflection stream: requests go one at a time, each waits for its answer. */
class ReflectionStream {
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  private readonly queue: Array<{ resolve: (r: Response) => void; reject: (e: unknown) => void }> = [];
  private failure: unknown;

  constructor(client: grpc.Client, path: string, deadline: number) {
    this.call = client.makeBidiStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, new grpc.Metadata(), { deadline });
    this.call.on('data', (bytes: Buffer) => {
      const waiter = this.queue.shift();
      try {
        waiter?.resolve(decodeResponse(bytes));
      } catch (err) {
        waiter?.reject(new PluginError('protocol', `the plugin's reflection answer is not a ServerReflectionResponse: ${String(err)}`));
      }
    });
    this.call.on('error', (err) => {
      this.failure = err;
      for (const w of this.queue.splice(0)) w.reject(err);
    });
    this.call.on('end', () => {
      const err = this.failure ?? new PluginError('protocol', 'the plugin ended the reflection stream early');
      for (const w of this.queue.splice(0)) w.reject(err);
    });
  }

  ask(req: Request): Promise<Response> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.call.write(encodeRequest(req));
    });
  }

  close(): void {
    this.call.end();
    this.call.cancel();
  }
}

function isUnimplemented(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === grpc.status.UNIMPLEMENTED;
}

/**
 * Asks the plugin through reflection for its services and their descriptors.
 * @param channel - a channel to the plugin
 * @param timeout - deadline of the whole exchange in ms
 * @returns undefined when the plugin serves no reflection (neither v1 nor v1alpha)
 * @throws the gRPC error when reflection is served but fails
 */
export async function reflect(channel: grpc.Channel, timeout: number): Promise<Reflected | undefined> {
  // Not closed after use: closing a client closes the channel it was given, which the caller still uses.
  const client = new grpc.Client('unused', grpc.credentials.createInsecure(), { channelOverride: channel });
  for (const version of ['v1', 'v1alpha'] as const) {
    const stream = new ReflectionStream(client, PATHS[version], Date.now() + timeout);
    try {
      const list = await stream.ask({ listServices: true });
      const services = list.services ?? [];
      const files = new Map<string, FileDescriptorProto>();
      const unresolved: Record<string, string> = {};
      const add = (encoded: Uint8Array[] | undefined): void => {
        for (const bytes of encoded ?? []) {
          const file = fromBinary(FileDescriptorProtoSchema, bytes);
          files.set(file.name, file);
        }
      };
      for (const name of services) {
        const res = await stream.ask({ fileContainingSymbol: name });
        if (res.error) unresolved[name] = res.error.message || `reflection error ${res.error.code}`;
        add(res.files);
      }
      // Servers send each file once per stream; fetch imports they left out.
      for (let missing = missingImports(files); missing.length > 0; missing = missingImports(files)) {
        let progress = false;
        for (const name of missing) {
          const res = await stream.ask({ fileByFilename: name });
          if (res.files && res.files.length > 0) progress = true;
          add(res.files);
        }
        if (!progress) break;
      }
      stream.close();
      return { version, services, registry: registryOf([...files.values()]), unresolved };
    } catch (err) {
      stream.close();
      if (isUnimplemented(err)) continue;
      throw err;
    }
  }
  return undefined;
}

function missingImports(files: Map<string, FileDescriptorProto>): string[] {
  const missing = new Set<string>();
  for (const f of files.values()) for (const dep of f.dependency) if (!files.has(dep)) missing.add(dep);
  return [...missing];
}

/**
 * A registry of the given file descriptors, skipping files whose imports are missing rather than failing.
 * @param files - decoded FileDescriptorProtos
 */
export function registryOf(files: FileDescriptorProto[]): FileRegistry {
  const byName = new Map(files.map((f) => [f.name, f]));
  // The registry adds files in order, so each file's imports go before it; a file with a missing import is left out.
  const ordered: FileDescriptorProto[] = [];
  const state = new Map<string, 'visiting' | 'ok' | 'missing'>();
  const visit = (name: string): boolean => {
    const known = state.get(name);
    if (known !== undefined) return known !== 'missing';
    const file = byName.get(name);
    if (file === undefined) {
      state.set(name, 'missing');
      return false;
    }
    state.set(name, 'visiting');
    const ok = file.dependency.every((d) => visit(d));
    state.set(name, ok ? 'ok' : 'missing');
    if (ok) ordered.push(file);
    return ok;
  };
  for (const f of files) visit(f.name);
  for (const f of ordered) {
    f.extension.forEach(fixJsonName);
    f.messageType.forEach(fixMessage);
  }
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}

// The registry takes each field's JSON name from json_name, which protoc fills in; descriptors from other sources
// (Python's generated modules, served by grpcio-reflection) leave it out, and the JSON mapping would then print
// every field as "". Fill it in as protoc does: lowerCamelCase of the field name.
function fixJsonName(field: FieldDescriptorProto): void {
  if (field.jsonName !== '') return;
  let name = '';
  let upper = false;
  for (const c of field.name) {
    if (c === '_') upper = true;
    else {
      name += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  field.jsonName = name;
}

function fixMessage(message: DescriptorProto): void {
  message.field.forEach(fixJsonName);
  message.extension.forEach(fixJsonName);
  message.nestedType.forEach(fixMessage);
}

/**
 * A registry from an encoded FileDescriptorSet (`protoc --include_imports --descriptor_set_out=FILE`).
 * @param bytes - the file's content
 */
export function registryFromProtoset(bytes: Uint8Array): FileRegistry {
  return registryOf(fromBinary(FileDescriptorSetSchema, bytes).file);
}
