// `plugwire call`: launches a plugin like a host, finds a gRPC method through reflection (or a protoset), sends a
// request built from JSON and prints the response as JSON; streaming responses print one JSON line per message.
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { createFileRegistry, fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, FileRegistry, JsonValue } from '@bufbuild/protobuf';
import { PluginError } from '@plugwire/core';
import type { Logger } from '@plugwire/core';
import { decodeHandshakeCert, generateIdentity, mutualTls } from '@plugwire/net';
import type { TransportTls } from '@plugwire/net';
import { launch, manage } from '@plugwire/process';
import type { PluginProcess } from '@plugwire/process';
import { connectPlugin } from './connect.js';
import type { PluginConnection } from './connect.js';
import type { LaunchSpec } from './launch-spec.js';
import { reflect, registryFromProtoset } from './reflection-client.js';
import { UsageError } from './usage-error.js';

/** One method call. */
export interface OneCall {
  /** `package.Service/Method` (or `package.Service.Method`). */
  method: string;
  /** The request as JSON text: one value, or for client-streaming methods an array or one value per line. */
  request: string;
}

/** What `call` needs beyond the launch. */
export interface CallSpec {
  /** The calls, made in order on one plugin process. */
  calls: OneCall[];
  /** Encoded FileDescriptorSets to use instead of (or besides) reflection. @default [] */
  protosets: string[];
  /** Deadline of the call in ms. @default 30000 */
  deadline: number;
  /** Mirror the plugin's stderr log lines to our stderr. @default false */
  verbose: boolean;
}

/** Where `call` prints. */
export interface CallOutput {
  /** One response (pretty JSON) or one line per streamed message. */
  out(text: string): void;
  /** Plugin log lines with --verbose. */
  log(text: string): void;
}

function splitMethod(name: string): [string, string] {
  const slash = name.lastIndexOf('/');
  const at = slash >= 0 ? slash : name.lastIndexOf('.');
  if (at <= 0 || at === name.length - 1) {
    throw new UsageError(`name the method as package.Service/Method, got ${JSON.stringify(name)}`);
  }
  return [name.slice(0, at).replace(/^\//, ''), name.slice(at + 1)];
}

function parseRequests(text: string, streaming: boolean): JsonValue[] {
  const trimmed = text.trim();
  if (trimmed === '') return [{}];
  try {
    const value = JSON.parse(trimmed) as JsonValue;
    if (streaming && Array.isArray(value)) return value;
    return [value];
  } catch (err) {
    if (streaming) {
      try {
        return trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as JsonValue);
      } catch {
        // reported below
      }
    }
    throw new UsageError(`the request is not JSON: ${(err as Error).message}`);
  }
}

function stderrLogger(spec: CallSpec, output: CallOutput): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, message?: string) => {
    if (!spec.verbose) return;
    const { plugin: _p, timestamp: _t, ...rest } = fields;
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    output.log(`[${level.toUpperCase()}] ${message ?? ''}${extra}`);
  };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Logger;
}

async function findMethod(connection: PluginConnection, spec: CallSpec, method: string): Promise<{ desc: DescMethod; registry: FileRegistry }> {
  const [service, name] = splitMethod(method);
  const registries: FileRegistry[] = [];
  for (const file of spec.protosets) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new UsageError(`cannot read --protoset ${file}: ${(err as Error).message}`);
    }
    registries.push(registryFromProtoset(bytes));
  }
  let fromProtoset = createFileRegistry(...registries);
  let svc = fromProtoset.getService(service);
  let how = spec.protosets.length > 0 ? 'the --protoset files' : '';
  if (svc === undefined && connection.channel !== undefined) {
    const reflected = await reflect(connection.channel, spec.deadline);
    if (reflected === undefined) {
      throw new PluginError(
        'not_found',
        `the plugin serves no gRPC reflection${how ? ` and ${how} do not describe ${service}` : ''}: ` +
          'give the service description with --protoset FILE (protoc --include_imports --descriptor_set_out=FILE your.proto)',
      );
    }
    fromProtoset = createFileRegistry(fromProtoset, reflected.registry);
    svc = fromProtoset.getService(service);
    how = how ? `${how} and reflection` : 'reflection';
    if (svc === undefined) {
      const listed = reflected.services.includes(service);
      throw new PluginError(
        'not_found',
        listed
          ? `the plugin lists ${service} but its reflection does not describe it (${reflected.unresolved[service] ?? 'no descriptor'}): give it with --protoset FILE`
          : `the plugin has no service ${service}; it serves: ${reflected.services.join(', ')}`,
      );
    }
  }
  if (svc === undefined) throw new PluginError('not_found', `no service ${service} in ${how || 'reflection'}`);
  const desc = svc.methods.find((m) => m.name === name || m.localName === name);
  if (desc === undefined) {
    throw new PluginError('not_found', `${service} has no method ${name}; it has: ${svc.methods.map((m) => m.name).join(', ')}`);
  }
  return { desc, registry: fromProtoset };
}

function statusName(code: number): string {
  return (grpc.status as unknown as Record<number, string>)[code] ?? String(code);
}

function callError(err: unknown, path: string): PluginError {
  const e = err as Partial<grpc.ServiceError>;
  if (typeof e.code === 'number') {
    return new PluginError('unavailable', `${path} failed: ${statusName(e.code)}: ${e.details ?? e.message ?? ''}`, { cause: err });
  }
  return PluginError.from(err);
}

/**
 * Runs one call against a freshly launched plugin and stops it.
 * @param launchSpec - how to launch the plugin
 * @param spec - the method and request
 * @param output - where responses go
 */
export async function call(launchSpec: LaunchSpec, spec: CallSpec, output: CallOutput): Promise<void> {
  if (launchSpec.cookie === undefined) {
    throw new UsageError('call needs the magic cookie: --cookie KEY=VALUE (plugwire doctor tells which one the plugin wants)');
  }
  for (const c of spec.calls) splitMethod(c.method);
  const identity = launchSpec.autoMTLS ? generateIdentity() : undefined;
  const plugin: PluginProcess = await launch({
    ...(identity !== undefined && { clientCert: identity.certPem }),
    command: launchSpec.command,
    args: launchSpec.args,
    ...(launchSpec.cwd !== undefined && { cwd: launchSpec.cwd }),
    env: launchSpec.env,
    handshake: launchSpec.cookie,
    versions: launchSpec.versions,
    allowedProtocols: launchSpec.protocols,
    startTimeout: launchSpec.timeout,
    multiplexGrpc: launchSpec.multiplexGrpc,
    logger: stderrLogger(spec, output),
  });
  // Ctrl-C or SIGTERM on the command stops the plugin first.
  const unmanage = manage({ pid: plugin.pid, kill: () => plugin.kill() });
  let connection: PluginConnection | undefined;
  try {
    if (plugin.handshake.protocol !== 'grpc') {
      throw new PluginError('invalid_argument', `the plugin serves ${plugin.handshake.protocol}; plugwire call calls gRPC methods only`);
    }
    let tls: TransportTls | undefined;
    if (identity !== undefined) {
      const cert = plugin.handshake.serverCert;
      if (cert === undefined) throw new PluginError('handshake', 'AutoMTLS was asked for but the plugin printed no certificate: it does not do AutoMTLS (drop --auto-mtls)');
      tls = mutualTls(identity, decodeHandshakeCert(cert));
    }
    connection = await connectPlugin(plugin.handshake, plugin.exited, tls);
    for (const c of spec.calls) {
      const { desc, registry } = await findMethod(connection, spec, c.method);
      const streamingIn = desc.methodKind === 'client_streaming' || desc.methodKind === 'bidi_streaming';
      const requests = parseRequests(c.request, streamingIn).map((json) => {
        try {
          return Buffer.from(toBinary(desc.input, fromJson(desc.input, json, { registry })));
        } catch (err) {
          throw new UsageError(`the request does not fit ${desc.input.typeName}: ${(err as Error).message}`);
        }
      });
      await invoke(connection.channel as grpc.Channel, desc, requests, registry, spec.deadline, plugin.exited, output);
    }
  } finally {
    const conn = connection;
    await plugin.kill(conn ? () => conn.protocol.close() : undefined);
    unmanage();
  }
}

async function invoke(
  channel: grpc.Channel,
  desc: DescMethod,
  requests: Buffer[],
  registry: FileRegistry,
  deadlineMs: number,
  exited: AbortSignal,
  output: CallOutput,
): Promise<void> {
  const path = `/${desc.parent.typeName}/${desc.name}`;
  // Not closed: closing a client closes the channel, which the connection closes itself.
  const client = new grpc.Client('unused', grpc.credentials.createInsecure(), { channelOverride: channel });
  const serialize = (b: Buffer): Buffer => b;
  const deserialize = (b: Buffer): Buffer => b;
  const options = { deadline: Date.now() + deadlineMs };
  const print = (bytes: Buffer, pretty: boolean): void => {
    const json = toJson(desc.output as DescMessage, fromBinary(desc.output, bytes), { registry });
    output.out(pretty ? JSON.stringify(json, null, 2) : JSON.stringify(json));
  };
  await new Promise<void>((resolve, reject) => {
    let call: grpc.ClientUnaryCall | grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer> | grpc.ClientWritableStream<Buffer>;
    const onExit = (): void => {
      call.cancel();
      reject(PluginError.from(exited.reason, 'exited'));
    };
    const done = (err: unknown): void => {
      exited.removeEventListener('abort', onExit);
      if (err) reject(callError(err, path));
      else resolve();
    };
    const unaryDone = (err: grpc.ServiceError | null, value?: Buffer): void => {
      if (!err && value) {
        try {
          print(value, true);
        } catch (e) {
          done(e);
          return;
        }
      }
      done(err);
    };
    switch (desc.methodKind) {
      case 'unary':
        call = client.makeUnaryRequest(path, serialize, deserialize, requests[0] as Buffer, new grpc.Metadata(), options, unaryDone);
        break;
      case 'client_streaming': {
        const stream = client.makeClientStreamRequest(path, serialize, deserialize, new grpc.Metadata(), options, unaryDone);
        for (const r of requests) stream.write(r);
        stream.end();
        call = stream;
        break;
      }
      case 'server_streaming':
      case 'bidi_streaming': {
        let bidi: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
        let stream: grpc.ClientReadableStream<Buffer>;
        if (desc.methodKind === 'server_streaming') {
          stream = client.makeServerStreamRequest(path, serialize, deserialize, requests[0] as Buffer, new grpc.Metadata(), options);
        } else {
          bidi = client.makeBidiStreamRequest(path, serialize, deserialize, new grpc.Metadata(), options);
          stream = bidi;
        }
        stream.on('data', (bytes: Buffer) => {
          try {
            print(bytes, false);
          } catch (e) {
            stream.cancel();
            done(e);
          }
        });
        // 'status' comes last on every path; 'error' repeats a failed status and only needs a listener.
        stream.on('error', () => {});
        stream.on('status', (status: grpc.StatusObject) => done(status.code === grpc.status.OK ? undefined : status));
        if (bidi !== undefined) {
          for (const r of requests) bidi.write(r);
          bidi.end();
        }
        call = stream;
        break;
      }
    }
    if (exited.aborted) onExit();
    else exited.addEventListener('abort', onExit, { once: true });
  });
}
