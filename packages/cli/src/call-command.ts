import { readFile } from 'node:fs/promises';
import { parseWithCommand } from './args.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import type { Command, Io } from './io.js';
import type { OneCall } from './call.js';
import { LAUNCH_HELP, LAUNCH_OPTIONS, validateLaunchSpec } from './launch-spec.js';
import type { RawLaunchOptions } from './launch-spec.js';
import { UsageError } from './usage-error.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

async function requestText(arg: string, io: Io): Promise<string> {
  if (arg === '-') return io.readStdin?.() ?? readAll(process.stdin);
  if (!arg.startsWith('@')) return arg;
  try {
    return await readFile(arg.slice(1), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${arg.slice(1)}: ${(err as Error).message}`);
  }
}

const METHOD = /^\/?[A-Za-z_][\w.]*[/.][A-Za-z_]\w*$/;
const REQUEST = /^\s*[[{]|^@|^-$/;

/**
 * Splits `<command> [args...] <method> <json> [<method> <json>...]`: the last pair always is a call; pairs before
 * it are taken while they look like one (a method name, then JSON, @FILE or -).
 */
export function splitCalls(words: string[]): { launch: string[]; pairs: Array<[string, string]> } {
  if (words.length < 3) throw new UsageError('give -- <command> [args...] <package.Service/Method> <json>');
  const pairs: Array<[string, string]> = [[words[words.length - 2] as string, words[words.length - 1] as string]];
  let end = words.length - 2;
  while (end >= 3 && REQUEST.test(words[end - 1] as string) && METHOD.test(words[end - 2] as string)) {
    pairs.unshift([words[end - 2] as string, words[end - 1] as string]);
    end -= 2;
  }
  return { launch: words.slice(0, end), pairs };
}

/** `plugwire call`. */
export const callCommand: Command = {
  name: 'call',
  summary: 'launch a plugin and call one gRPC method with a JSON request (grpcurl for plugins)',
  help: `Usage: plugwire call [options] -- <command> [args...] <package.Service/Method> <json> [<method> <json>...]

Launches the plugin as a go-plugin host would, finds the method through gRPC reflection (grpc.reflection.v1 or
v1alpha) or --protoset files, sends the request built from <json> (protobuf's JSON mapping: bytes as base64,
64-bit integers as strings) and prints the response as JSON. Server-streaming and bidi methods print one JSON line
per message; client-streaming and bidi methods take a JSON array (or one JSON value per line) of requests.
<json> may be @FILE to read a file, or - to read standard input. Several <method> <json> pairs run in order on the
same plugin process (e.g. a Put then a Get). The plugin is shut down afterwards.

${LAUNCH_HELP}
Call options:
  --protoset FILE        a FileDescriptorSet (protoc --include_imports --descriptor_set_out=FILE x.proto) that
                         describes the service, for plugins without reflection (repeatable)
  --deadline MS          deadline of the call (default 30000)
  --verbose              print the plugin's stderr log lines to stderr
  -h, --help             this help

Example:
  plugwire call --cookie BASIC_PLUGIN=hello -- ./kv-plugin proto.KV/Put '{"key":"a","value":"aGk="}'

${EXIT_HELP}
`,
  async run(args, io) {
    const { values, command } = parseWithCommand(args, {
      ...LAUNCH_OPTIONS,
      protoset: { type: 'string', multiple: true },
      deadline: { type: 'string' },
      verbose: { type: 'boolean' },
    });
    const { launch, pairs } = splitCalls(command);
    const spec = validateLaunchSpec(values as RawLaunchOptions, launch);
    const deadline = values.deadline === undefined ? 30_000 : Number(values.deadline);
    if (!Number.isFinite(deadline) || deadline <= 0) throw new UsageError(`--deadline wants a positive number of ms, got ${String(values.deadline)}`);
    const calls: OneCall[] = [];
    for (const [method, request] of pairs) calls.push({ method, request: await requestText(request, io) });
    // Loaded on use, so that `plugwire --help` and the other commands do not load the transports.
    const { call } = await import('./call.js');
    await call(
      spec,
      { calls, protosets: (values.protoset as string[] | undefined) ?? [], deadline, verbose: values.verbose === true },
      { out: (t) => io.stdout.write(`${t}\n`), log: (t) => io.stderr.write(`${t}\n`) },
    );
    return EXIT.ok;
  },
};
