// Server handlers in promise form: implement(Service, { get: async (req) => res }) → a grpc-js implementation.
import * as grpc from '@grpc/grpc-js';
import { PluginError } from '@plugwire/core';
import type { HandlerContext, ImplementOptions, ServiceHandlers, ServiceImplementation, ServiceLike, ServiceOf } from './types.js';

type AnyHandler = (input: unknown, context: HandlerContext) => unknown;
type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** The status a thrown error goes back as: a PluginError's grpcStatus, an error's own gRPC code, else UNKNOWN. */
export function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof PluginError) return { code: err.grpcStatus ?? grpc.status.UNKNOWN, details: err.message };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const valid = typeof code === 'number' && Number.isInteger(code) && code > 0 && code <= 16;
    return { code: valid ? code : grpc.status.UNKNOWN, details: (err as { details?: string }).details ?? err.message };
  }
  return { code: grpc.status.UNKNOWN, details: String(err) };
}

/**
 * A handler's context: the signal and the metadata are both made on first use, so a handler that reads neither
 * costs no AbortController, no 'cancelled' listener and (on plugwire's h2 server, which builds a call's Metadata
 * lazily) no Metadata. A class, so that its getters live on the prototype, not on each call's object.
 */
class CallContext implements HandlerContext {
  #controller: AbortController | undefined;
  constructor(readonly call: Call) {}

  get signal(): AbortSignal {
    if (!this.#controller) {
      const c = (this.#controller = new AbortController());
      const cancel = (): void => c.abort(new PluginError('aborted', 'the caller cancelled the gRPC call'));
      (this.call as NodeJS.EventEmitter).once('cancelled', cancel);
      if (this.call.cancelled) cancel();
    }
    return this.#controller.signal;
  }

  get metadata(): grpc.Metadata {
    return this.call.metadata;
  }
}

function contextOf(call: Call): HandlerContext {
  return new CallContext(call);
}

async function send(call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, messages: AsyncIterable<unknown>): Promise<void> {
  try {
    for await (const message of messages) {
      if (call.cancelled) return;
      if (!call.write(message)) await new Promise((resolve) => call.once('drain', resolve));
    }
    call.end();
  } catch (err) {
    call.emit('error', toStatus(err));
  }
}

/**
 * The call's incoming messages. Not `for await (… of call)`: a Readable's own iterator destroys the stream when the
 * loop ends, which for a bidirectional call also ends the replies still to be written.
 */
function requests(call: grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): AsyncIterable<unknown> {
  return call.iterator({ destroyOnReturn: false });
}

function adapt(handler: AnyHandler, def: grpc.MethodDefinition<unknown, unknown>): grpc.UntypedHandleCall {
  if (!def.requestStream && !def.responseStream) {
    return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      // Called directly, one promise at most: a unary call is the hot path.
      let result: unknown;
      try {
        result = handler(call.request, contextOf(call));
      } catch (err) {
        callback(toStatus(err));
        return;
      }
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then((res) => callback(null, res), (err: unknown) => callback(toStatus(err)));
      } else {
        callback(null, result);
      }
    };
  }
  if (!def.requestStream) {
    return (call: grpc.ServerWritableStream<unknown, unknown>) => {
      void Promise.resolve()
        .then(() => send(call, handler(call.request, contextOf(call)) as AsyncIterable<unknown>))
        .catch((err: unknown) => call.emit('error', toStatus(err)));
    };
  }
  if (!def.responseStream) {
    return (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      Promise.resolve()
        .then(() => handler(requests(call), contextOf(call)))
        .then((res) => callback(null, res), (err: unknown) => callback(toStatus(err)));
    };
  }
  return (call: grpc.ServerDuplexStream<unknown, unknown>) => {
    void Promise.resolve()
      .then(() => send(call, handler(requests(call), contextOf(call)) as AsyncIterable<unknown>))
      .catch((err: unknown) => call.emit('error', toStatus(err)));
  };
}

/**
 * Implements a grpc-js service with promise handlers (see {@link ServiceHandlers}): unary handlers return the
 * response, streaming ones take or return async iterables. Return it from a gRPC server half, or add it to a
 * server yourself (`server.addService(s.service, s.implementation)`, e.g. in `broker.acceptAndServe`).
 * @param service - the service definition (ts-proto `XxxService`, a generated client, a proto-loader service)
 * @param handlers - one handler per method, named as in the definition; a method whose handler is missing (see
 *   {@link partial}) answers UNIMPLEMENTED, as grpc-js does
 */
export function implement<S extends object>(
  service: S & ServiceLike<S>,
  handlers: ServiceHandlers<ServiceOf<S>>,
  options: ImplementOptions = {},
): ServiceImplementation {
  const def = ('service' in service && typeof service.service === 'object' ? service.service : service) as grpc.ServiceDefinition;
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, methodDef] of Object.entries(def)) {
    const handler = (handlers as Record<string, AnyHandler | undefined>)[name];
    // grpc-js answers UNIMPLEMENTED for a method left out (see `unimplemented` for optional RPCs).
    if (typeof handler === 'function') implementation[name] = adapt(handler, methodDef);
  }
  const { schema } = options;
  if (schema !== undefined && (typeof schema !== 'object' || schema === null || typeof schema.fileDescriptor !== 'object' || schema.fileDescriptor === null)) {
    throw new PluginError('invalid_argument', 'implement(): options.schema must be ts-proto\'s protoMetadata (generate with outputSchema=true)');
  }
  return Object.freeze({ service: def, implementation, descriptors: Object.freeze(loaderDescriptors(def)), ...(schema && { schema }) });
}

/** The file descriptors a `@grpc/proto-loader` definition carries on its message types; none for other code. */
function loaderDescriptors(def: grpc.ServiceDefinition): Uint8Array[] {
  const files = new Map<string, Uint8Array>();
  for (const method of Object.values(def) as unknown[]) {
    for (const type of ['requestType', 'responseType']) {
      const protos = (method as Record<string, { fileDescriptorProtos?: unknown } | undefined>)[type]?.fileDescriptorProtos;
      if (!Array.isArray(protos)) continue;
      for (const file of protos) if (file instanceof Uint8Array) files.set(Buffer.from(file).toString('base64'), file);
    }
  }
  return [...files.values()];
}

/**
 * Handlers for only some methods of a service, for {@link implement}: the others answer UNIMPLEMENTED (as grpc-go's
 * `Unimplemented...Server` embedding does), e.g. a Terraform provider's optional RPCs.
 * @param handlers - the methods implemented
 */
export function partial<S>(handlers: Partial<ServiceHandlers<S>>): ServiceHandlers<S> {
  return handlers as ServiceHandlers<S>;
}
