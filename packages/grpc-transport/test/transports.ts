import type { GrpcClientTransport, GrpcServerKind } from '../src/index.js';

/** The host-side suites run once per client transport: plugwire's h2 (the default) and grpc-js. */
export const CLIENT_TRANSPORTS: GrpcClientTransport[] = ['h2', 'grpc-js'];

/** The plugin-side suites run once per server: plugwire's h2 server (the default) and grpc-js's. */
export const SERVER_TRANSPORTS: GrpcServerKind[] = ['h2', 'grpc-js'];

/** Host client × plugin server pairs for the in-process suites: every client against every server. */
export const TRANSPORT_PAIRS: Array<{ client: GrpcClientTransport; server: GrpcServerKind }> = [
  { client: 'h2', server: 'h2' },
  { client: 'grpc-js', server: 'h2' },
  { client: 'h2', server: 'grpc-js' },
  { client: 'grpc-js', server: 'grpc-js' },
];
