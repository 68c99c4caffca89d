import type { GrpcClientTransport } from '../src/index.js';

/** The host-side suites run once per client transport: plugwire's h2 (the default) and grpc-js. */
export const CLIENT_TRANSPORTS: GrpcClientTransport[] = ['h2', 'grpc-js'];
