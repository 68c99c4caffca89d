import * as grpc from '@grpc/grpc-js';
import type { GrpcServerCall, GrpcServerHandler } from '@plugwire/h2';
import { DuplexCall, UnaryCall, WritableCall, type MethodInfo } from './calls.js';

/**
 * What a plugin's services are registered on: the part of `grpc.Server` plugwire's servers share, so the same
 * `server.addService(Definition, implementation)` code serves on plugwire's h2 server or on grpc-js's.
 */
export interface GrpcServiceRegistrar {
  /** Adds every method of `service`, answered by `implementation`'s functions (grpc-js's handler signatures). */
  addService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void;
  /** Removes every method of `service`; calls to them are then answered UNIMPLEMENTED. */
  removeService(service: grpc.ServiceDefinition): void;
}

type Kind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

function kindOf(definition: grpc.MethodDefinition<unknown, unknown>): Kind {
  if (definition.requestStream) return definition.responseStream ? 'bidi' : 'clientStream';
  return definition.responseStream ? 'serverStream' : 'unary';
}

function handlerFor(kind: Kind, method: MethodInfo): GrpcServerHandler {
  switch (kind) {
    case 'unary':
      return (core: GrpcServerCall) => core.listen(new UnaryCall(core, method));
    case 'serverStream':
      return (core: GrpcServerCall) => core.listen(new WritableCall(core, method));
    case 'clientStream':
      return (core: GrpcServerCall) => new DuplexCall(core, method).start(true);
    case 'bidi':
      return (core: GrpcServerCall) => new DuplexCall(core, method).start(false);
  }
}

/** grpc-js's answer for a method of an added service that the implementation lacks. */
function unimplemented(name: string): GrpcServerHandler {
  const details = `The server does not implement the method ${name}`;
  return (core: GrpcServerCall) => core.end({ code: grpc.status.UNIMPLEMENTED, details });
}

/**
 * The services of plugwire's h2 gRPC server: `addService`/`removeService` as grpc-js's `Server`, and the lookup
 * the h2 core dispatches with. Handlers get grpc-js's call objects ({@link UnaryCall}, {@link WritableCall},
 * {@link DuplexCall}).
 */
export class H2ServiceRegistry implements GrpcServiceRegistrar {
  private readonly handlers = new Map<string, GrpcServerHandler>();
  /** The core's lookup: the handler of a method path, or undefined (the core answers UNIMPLEMENTED). */
  readonly lookup = (path: string): GrpcServerHandler | undefined => this.handlers.get(path);

  addService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    if (service === null || typeof service !== 'object' || implementation === null || typeof implementation !== 'object') {
      throw new Error('addService() requires two objects as arguments');
    }
    const names = Object.keys(service);
    if (names.length === 0) throw new Error('Cannot add an empty service to a server');
    for (const name of names) {
      const definition = service[name] as grpc.MethodDefinition<unknown, unknown> & { originalName?: string };
      if (this.handlers.has(definition.path)) throw new Error(`Method handler for ${definition.path} already provided.`);
      let func: unknown = implementation[name];
      if (func === undefined && typeof definition.originalName === 'string') func = implementation[definition.originalName];
      const handler =
        typeof func === 'function'
          ? handlerFor(kindOf(definition), {
              path: definition.path,
              serialize: definition.responseSerialize,
              deserialize: definition.requestDeserialize,
              func: (func as (call: never, callback?: never) => unknown).bind(implementation),
            })
          : unimplemented(name);
      this.handlers.set(definition.path, handler);
    }
  }

  removeService(service: grpc.ServiceDefinition): void {
    if (service === null || typeof service !== 'object') throw new Error('removeService() requires object as argument');
    for (const name of Object.keys(service)) {
      const definition = service[name];
      if (definition) this.handlers.delete(definition.path);
    }
  }
}
