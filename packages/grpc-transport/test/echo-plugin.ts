// The TypeScript echo plugin used by the tests: both halves of a GrpcPlugin, over test/proto/echo.proto.
import type * as grpc from '@grpc/grpc-js';
import type { Writable } from 'node:stream';
import { clientOn, unaryCall, type GrpcBroker, type GrpcPlugin } from '../src/index.js';
import { AddHelperClient, AddHelperService, EchoClient, EchoService, type AddHelperServer, type EchoServer } from './gen/echo.js';

/** What the host calls. */
export interface EchoApi {
  echo(data: Uint8Array): Promise<Buffer>;
  /** The plugin adds by calling back into a helper the host serves through the broker. */
  add(a: number, b: number): Promise<number>;
  print(text: string): Promise<void>;
  /** Asks the plugin to serve a helper through the broker, dials it and calls it. */
  sumOnPlugin(a: number, b: number): Promise<number>;
  hang(): Promise<void>;
}

/** An AddHelper that adds, for either side. */
export const adder: AddHelperServer = {
  sum(call, callback) {
    callback(null, { r: call.request.a + call.request.b });
  },
};

/**
 * The plugin definition.
 * @param output - where Print writes on the plugin side (its captured stdout and stderr)
 */
export function echoPlugin(output?: { stdout: Writable; stderr: Writable }): GrpcPlugin<EchoApi> {
  return {
    server(broker: GrpcBroker, server: grpc.Server) {
      const impl: EchoServer = {
        echo(call, callback) {
          callback(null, { data: call.request.data });
        },
        add(call, callback) {
          void (async () => {
            const channel = await broker.dial(call.request.helperId);
            const helper = clientOn(AddHelperClient, channel);
            return unaryCall<{ r: number }>((cb) => helper.sum({ a: call.request.a, b: call.request.b }, cb));
          })().then(
            (res) => callback(null, res),
            (err: Error) => callback({ code: 13, details: err.message }),
          );
        },
        print(call, callback) {
          output?.stdout.write(call.request.data);
          output?.stderr.write(call.request.data);
          callback(null, { data: Buffer.alloc(0) });
        },
        startHelper(_call, callback) {
          const id = broker.nextId();
          broker.acceptAndServe(id, (s) => s.addService(AddHelperService, adder)).then(
            () => callback(null, { helperId: id }),
            (err: Error) => callback({ code: 13, details: err.message }),
          );
        },
        hang() {
          // Never answers.
        },
      };
      server.addService(EchoService, impl);
    },
    client(broker: GrpcBroker, channel: grpc.ChannelInterface, exited: AbortSignal): EchoApi {
      const client = clientOn(EchoClient, channel);
      return {
        async echo(data) {
          return (await unaryCall<{ data: Buffer }>((cb) => client.echo({ data: Buffer.from(data) }, cb), { exited })).data;
        },
        async add(a, b) {
          const id = broker.nextId();
          await broker.acceptAndServe(id, (s) => s.addService(AddHelperService, adder));
          return (await unaryCall<{ r: number }>((cb) => client.add({ a, b, helperId: id }, cb), { exited })).r;
        },
        async print(text) {
          await unaryCall((cb) => client.print({ data: Buffer.from(text) }, cb), { exited });
        },
        async sumOnPlugin(a, b) {
          const { helperId } = await unaryCall<{ helperId: number }>((cb) => client.startHelper({ data: Buffer.alloc(0) }, cb), { exited });
          const helper = clientOn(AddHelperClient, await broker.dial(helperId));
          return (await unaryCall<{ r: number }>((cb) => helper.sum({ a, b }, cb), { exited })).r;
        },
        async hang() {
          await unaryCall((cb) => client.hang({ data: Buffer.alloc(0) }, cb), { exited });
        },
      };
    },
  };
}
