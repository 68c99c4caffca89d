import { PassThrough } from 'node:stream';

/** Above this many buffered bytes (no host reading), captured output goes to the real fd instead: never lost, never unbounded. */
const MAX_BUFFERED = 1 << 20;

type Write = NodeJS.WriteStream['write'];

/** The plugin's stdout and stderr, captured after the handshake so the transport can sync them to the host. */
export interface StdioCapture {
  /** What the plugin wrote to stdout since `start()`. */
  readonly stdout: PassThrough;
  /** What the plugin wrote to stderr since `start()`. */
  readonly stderr: PassThrough;
  /** Writes to the real stderr (fd 2), where the host reads log lines. */
  readonly realStderr: (chunk: string) => void;
  /** Starts capturing `process.stdout` / `process.stderr` writes. */
  start(): void;
  /** Restores the real streams and ends the captured ones; idempotent. */
  stop(): void;
}

function patch(stream: NodeJS.WriteStream, sink: PassThrough): () => void {
  const original = stream.write;
  const real = original.bind(stream) as (chunk: string | Uint8Array, cb?: (err?: Error | null) => void) => boolean;
  const write = function (this: unknown, chunk: string | Uint8Array, encodingOrCb?: unknown, cb?: unknown): boolean {
    const callback = (typeof encodingOrCb === 'function' ? encodingOrCb : cb) as ((err?: Error | null) => void) | undefined;
    const encoding = typeof encodingOrCb === 'string' ? (encodingOrCb as BufferEncoding) : undefined;
    const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    if (sink.writableEnded || sink.writableLength + sink.readableLength > MAX_BUFFERED) return real(data, callback);
    return sink.write(data, callback);
  };
  stream.write = write as Write;
  return () => {
    stream.write = original;
  };
}

/** Prepares capturing of the plugin's own stdout/stderr (go-plugin replaces os.Stdout/os.Stderr with pipes). */
export function captureStdio(): StdioCapture {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const realStderrWrite = process.stderr.write.bind(process.stderr);
  let restore: Array<() => void> = [];
  return {
    stdout,
    stderr,
    realStderr: (chunk) => {
      realStderrWrite(chunk);
    },
    start() {
      if (restore.length) return;
      restore = [patch(process.stdout, stdout), patch(process.stderr, stderr)];
    },
    stop() {
      for (const undo of restore) undo();
      restore = [];
      stdout.end();
      stderr.end();
    },
  };
}
