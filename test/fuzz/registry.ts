// The decoders the fuzzer feeds: one entry each, with seeds (valid inputs it mutates from). To fuzz another decoder,
// add an entry here (its corpus directory test/fuzz/corpus/<name>/ is created on the first `--grow` run).
import { Readable } from 'node:stream';
import { PluginError } from '@plugwire/core';
import { encodeBrokerId, readBrokerId } from '@plugwire/broker';
import { createDecoder, createEncoder, gob } from '@plugwire/gob';
import { formatHandshake, parseHandshake } from '@plugwire/handshake';
import { parseLogLine } from '@plugwire/logging';
import { Flag, FrameType, createFrameDecoder, encodeHeader } from '@plugwire/yamux';

/** One decoder under fuzz. */
export interface FuzzTarget {
  /** Also the corpus directory name. */
  readonly name: string;
  /** Valid inputs to start from (the committed corpus adds to them). */
  seeds(): Uint8Array[];
  /**
   * Decodes `input` completely. It may return or throw a `PluginError`; anything else thrown, a hang or a
   * rejection that is not a PluginError is a bug the fuzzer reports.
   */
  run(input: Uint8Array): void | Promise<void>;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decodeText = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Every decoder plugwire has for bytes from another process. */
export const targets: FuzzTarget[] = [
  {
    name: 'handshake',
    seeds: () => [
      text('1|1|unix|/tmp/plugin123|grpc|'),
      text('1|5|tcp|127.0.0.1:1234|netrpc'),
      text(formatHandshake({ protocolVersion: 2, network: 'unix', address: '/tmp/p', protocol: 'grpc' })),
      text('1|1|unix|/tmp/p|grpc|MIIBkTCB+wIJAKHHIG...|true'),
    ],
    run: (input) => {
      parseHandshake(decodeText(input));
    },
  },
  {
    name: 'hclog',
    seeds: () => [
      text('{"@level":"debug","@message":"plugin address","@timestamp":"2026-11-23T10:29:35.682427Z","address":"/tmp/p","network":"unix"}'),
      text('{"@level":"info","@message":"x","nested":{"a":[1,2,{"b":null}]}}'),
      text('[WARN] something'),
      text('panic: runtime error: index out of range'),
      text('2026-01-01T00:00:00.000Z [ERROR] plugin: failed: err=boom'),
    ],
    run: (input) => {
      const state = { panicked: false };
      for (const line of decodeText(input).split('\n')) parseLogLine(line, state);
    },
  },
  {
    name: 'yamux-frames',
    seeds: () => [
      Buffer.concat([encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0), encodeHeader(FrameType.Data, 0, 1, 3), Buffer.from('abc')]),
      Buffer.concat([encodeHeader(FrameType.Ping, Flag.SYN, 0, 7), encodeHeader(FrameType.GoAway, 0, 0, 0)]),
      Buffer.concat([encodeHeader(FrameType.Data, Flag.FIN, 3, 0), encodeHeader(FrameType.WindowUpdate, Flag.RST, 3, 0)]),
    ],
    run: (input) => {
      const decoder = createFrameDecoder(() => {}, { maxDataLength: 256 * 1024 });
      // Split the input at a point it chooses itself, so chunk boundaries are fuzzed too.
      const cut = input.length > 0 ? input[0]! % (input.length + 1) : 0;
      decoder.push(Buffer.from(input.subarray(0, cut)));
      decoder.push(Buffer.from(input.subarray(cut)));
    },
  },
  {
    name: 'gob',
    seeds: () => {
      const enc = createEncoder();
      const Header = gob.struct({ ServiceMethod: gob.string, Seq: gob.uint }, 'Request');
      return [
        enc.encodeAll([{ type: Header, value: { ServiceMethod: 'Plugin.Get', Seq: 1 } }, { type: gob.string, value: 'key' }]),
        createEncoder().encodeAll([{ type: gob.slice(gob.int), value: [1, -2, 3] }, { type: gob.map(gob.string, gob.bytes), value: new Map([['a', new Uint8Array([1])]]) }]),
        createEncoder().encodeAll([{ type: gob.float64, value: 1.5 }, { type: gob.bool, value: true }]),
      ];
    },
    run: (input) => {
      const dec = createDecoder();
      dec.push(input);
      for (let i = 0; i < 10_000 && dec.next() !== undefined; i++);
    },
  },
  {
    name: 'muxbroker-header',
    seeds: () => [encodeBrokerId(1), encodeBrokerId(0xffffffff), Buffer.concat([encodeBrokerId(7), Buffer.from('payload')])],
    run: async (input) => {
      const stream = Readable.from(input.length > 0 ? [Buffer.from(input)] : []);
      try {
        await readBrokerId(stream, 1_000, 'fuzzed broker header');
      } catch (err) {
        if (!(err instanceof PluginError)) throw err;
      } finally {
        stream.destroy();
      }
    },
  },
];
