// plugwire call, run as a user runs it: the kv example's Put then Get against TS and Go plugins, streaming
// methods, and the errors a user meets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo, buildGoModern, goSkipReason } from '../../../test/support/go.js';
import { example, fixture, plugwire, protoset, root } from './support.js';

const COOKIE = ['--cookie', 'BASIC_PLUGIN=hello'];
// "hi" in base64: protobuf's JSON mapping of bytes.
const PUT_GET = ['proto.KV/Put', '{"key":"greeting","value":"aGk="}', 'proto.KV/Get', '{"key":"greeting"}'];

let dir: string;
let kvSet: string | undefined;
let numbersSet: string | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plugwire-call-'));
  kvSet = await protoset(join(root, 'examples/proto/kv/kv.proto'), join(dir, 'kv.protoset'));
  numbersSet = await protoset(fixture('numbers.proto'), join(dir, 'numbers.protoset'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plugwire call: kv Put then Get on one plugin', () => {
  it('against the TS gRPC plugin, through reflection alone (serve() describes the plugin\'s own services)', async () => {
    const run = await plugwire(['call', ...COOKIE, '--', process.execPath, example('kv/plugin-grpc.js'), ...PUT_GET]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('{}\n{\n  "value": "aGk="\n}\n');
  });

  it('against the TS gRPC plugin with --protoset', async () => {
    if (kvSet === undefined) return;
    const run = await plugwire(['call', ...COOKIE, '--protoset', kvSet, '--', process.execPath, example('kv/plugin-grpc.js'), ...PUT_GET]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('{}\n{\n  "value": "aGk="\n}\n');
  });

  describe('against the Go go-plugin v1.0.1 plugin', () => {
    let goPlugin: string | undefined;
    beforeAll(async () => {
      if (goSkipReason() === undefined) goPlugin = await buildGo('explugin');
    });
    it('with --protoset (go-plugin v1.0.1 serves no reflection)', async () => {
      if (goPlugin === undefined || kvSet === undefined) return;
      const run = await plugwire(['call', ...COOKIE, '--protoset', kvSet, '--', goPlugin, 'kv', 'grpc', ...PUT_GET]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('{}\n{\n  "value": "aGk="\n}\n');
    });
    it('without one it says so and how to fix it', async () => {
      if (goPlugin === undefined) return;
      const run = await plugwire(['call', ...COOKIE, '--', goPlugin, 'kv', 'grpc', 'proto.KV/Get', '{"key":"a"}']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('the plugin serves no gRPC reflection: give the service description with --protoset FILE');
    });
  });

  describe('against the Go go-plugin v1.8 plugin', () => {
    let goPlugin: string | undefined;
    beforeAll(async () => {
      if (goSkipReason() === undefined) goPlugin = await buildGoModern('explugin');
    });
    it('over AutoMTLS', async () => {
      if (goPlugin === undefined) return;
      const run = await plugwire(['call', '--auto-mtls', ...COOKIE, '--', goPlugin, 'kv', 'grpc', ...PUT_GET]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('{}\n{\n  "value": "aGk="\n}\n');
    });
    it('through reflection alone', async () => {
      if (goPlugin === undefined) return;
      const run = await plugwire(['call', ...COOKIE, '--', goPlugin, 'kv', 'grpc', ...PUT_GET]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('{}\n{\n  "value": "aGk="\n}\n');
    });
  });
});

describe('plugwire call: reflection, streaming, errors', () => {
  it('builds the request through reflection (health Check on a TS plugin)', async () => {
    const run = await plugwire(['call', ...COOKIE, '--', process.execPath, example('kv/plugin-grpc.js'), 'grpc.health.v1.Health/Check', '{"service":"plugin"}']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ status: 'SERVING' });
  });

  it('prints one JSON line per message of a server stream, and sums a client stream', async () => {
    if (numbersSet === undefined) return;
    const base = ['call', ...COOKIE, '--protoset', numbersSet, '--', process.execPath, fixture('numbers-plugin.mjs')];
    const count = await plugwire([...base, 'numbers.Numbers/Count', '{"to":3}']);
    expect(count.code).toBe(0);
    expect(count.stdout).toBe('{"n":"1"}\n{"n":"2"}\n{"n":"3"}\n');
    const sum = await plugwire([...base, 'numbers.Numbers/Sum', '-'], { input: '{"n":1}\n{"n":"2"}\n{"n":39}\n' });
    expect(sum.code).toBe(0);
    expect(JSON.parse(sum.stdout)).toEqual({ n: '42' });
  });

  it('reports a gRPC error status with exit 1', async () => {
    if (numbersSet === undefined) return;
    const run = await plugwire(['call', ...COOKIE, '--protoset', numbersSet, '--', process.execPath, fixture('numbers-plugin.mjs'), 'numbers.Numbers/Check', '{"to":-1}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('/numbers.Numbers/Check failed: INVALID_ARGUMENT: to must not be negative, got -1');
  });

  it('names the services a plugin has when the one asked for is not there', async () => {
    const run = await plugwire(['call', ...COOKIE, '--', process.execPath, example('kv/plugin-grpc.js'), 'proto.Nope/Get', '{}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the plugin has no service proto.Nope; it serves: plugin.GRPCBroker, plugin.GRPCController');
  });

  it('refuses a netrpc plugin, a request that is not JSON, a missing cookie', async () => {
    const netrpc = await plugwire(['call', ...COOKIE, '--', process.execPath, example('kv/plugin-netrpc.js'), 'proto.KV/Get', '{}']);
    expect(netrpc.code).toBe(1);
    expect(netrpc.stderr).toContain('the plugin serves netrpc; plugwire call calls gRPC methods only');
    const bad = await plugwire(['call', ...COOKIE, '--', process.execPath, example('kv/plugin-grpc.js'), 'grpc.health.v1.Health/Check', '{oops']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the request is not JSON');
    const nocookie = await plugwire(['call', '--', process.execPath, example('kv/plugin-grpc.js'), 'grpc.health.v1.Health/Check', '{}']);
    expect(nocookie.code).toBe(2);
    expect(nocookie.stderr).toContain('call needs the magic cookie');
  });

  it('fails with the launch diagnosis when the plugin does not start', async () => {
    const run = await plugwire(['call', '--cookie', 'BASIC_PLUGIN=wrong', '--', process.execPath, example('kv/plugin-grpc.js'), 'grpc.health.v1.Health/Check', '{}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('plugin exited before we could connect: exit status 1');
    expect(run.stderr).toContain('This binary is a plugin.');
  });

  it('--help', async () => {
    const run = await plugwire(['call', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: plugwire call');
  });
});
