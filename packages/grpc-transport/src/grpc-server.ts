import * as grpc from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { serveGrpcConnection, type GrpcServerConnection } from '@plugwire/h2';
import { H2ServiceRegistry, type GrpcServiceRegistrar } from './h2-server/registry.js';

/**
 * Which gRPC server a plugin serves with: `h2` is plugwire's own HTTP/2 server (@plugwire/h2), `grpc-js` is
 * @grpc/grpc-js's `Server`. Both take the same service definitions and handlers.
 */
export type GrpcServerKind = 'h2' | 'grpc-js';

/** The server kinds, for validation. */
export const GRPC_SERVER_KINDS: readonly GrpcServerKind[] = ['h2', 'grpc-js'];

/** A gRPC server that serves connections handed to it (accepted sockets, TLS sockets, yamux streams). */
export interface ConnectionServer {
  /** Where the services are added. */
  readonly registrar: GrpcServiceRegistrar;
  /** Serves one connection until it or the server closes. */
  serve(connection: Duplex): void;
  /** Refuses new calls (GOAWAY) and resolves once the running ones finished. */
  shutdown(): Promise<void>;
  /** Cuts every connection at once. */
  abort(): void;
}

function grpcJsServer(maxReceiveMessageLength: number): ConnectionServer {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxReceiveMessageLength });
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return {
    registrar: server,
    serve: (connection) => injector.injectConnection(connection),
    shutdown: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    abort() {
      server.forceShutdown();
      injector.destroy();
    },
  };
}

function h2Server(maxReceiveMessageLength: number): ConnectionServer {
  const registry = new H2ServiceRegistry();
  const connections = new Set<GrpcServerConnection>();
  return {
    registrar: registry,
    serve(connection) {
      const served = serveGrpcConnection(connection, registry.lookup, { maxReceiveMessageLength });
      connections.add(served);
      void served.closed.then(
        () => connections.delete(served),
        () => connections.delete(served),
      );
    },
    async shutdown() {
      await Promise.all([...connections].map((c) => c.close().catch(() => undefined)));
    },
    abort() {
      for (const c of connections) c.abort();
      connections.clear();
    },
  };
}

/**
 * A gRPC server of `kind` whose services are registered on `registrar` and which serves the connections given to
 * `serve`; it never listens itself.
 * @param kind - plugwire's h2 server or grpc-js's
 * @param maxReceiveMessageLength - largest request message accepted; -1 for no limit
 */
export function createConnectionServer(kind: GrpcServerKind, maxReceiveMessageLength: number): ConnectionServer {
  return kind === 'h2' ? h2Server(maxReceiveMessageLength) : grpcJsServer(maxReceiveMessageLength);
}
