// Test helpers: a unix socket listener in a temp dir (the plugin side's main and broker listeners), a Writable
// that records what it receives, and a reflection ListServices call.
import * as grpc from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Listener } from '@plugwire/core';

/** A temp dir for sockets; `files()` lists what is left in it. */
export function socketDir(): { dir: string; files(): string[]; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pw-grpc-'));
  return { dir, files: () => readdirSync(dir), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let counter = 0;

/** Listens on a fresh unix socket in `dir`. */
export async function unixListener(dir: string): Promise<Listener> {
  const path = join(dir, `plugin${++counter}`);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    address: { network: 'unix', address: path },
    close() {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve())).then(() => rmSync(path, { force: true }));
      return closing;
    },
  };
}

/** A Writable that keeps every chunk. */
export class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

/** Calls grpc.reflection.<version>.ServerReflection with list_services and returns the service names. */
export async function listServices(target: string, version: 'v1' | 'v1alpha'): Promise<string[]> {
  const path = `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`;
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  try {
    const call = client.makeBidiStreamRequest<Record<string, never>, string[]>(
      path,
      () => Buffer.from(new BinaryWriter().uint32((7 << 3) | WireType.LengthDelimited).string('*').finish()),
      (buf: Buffer) => {
        // ServerReflectionResponse.list_services_response (6) -> ListServiceResponse.service (1) -> name (1)
        const names: string[] = [];
        const r = new BinaryReader(buf);
        while (r.pos < r.len) {
          const [f, wt] = r.tag();
          if (f !== 6) {
            r.skip(wt);
            continue;
          }
          const list = new BinaryReader(r.bytes());
          while (list.pos < list.len) {
            const [lf, lwt] = list.tag();
            if (lf !== 1) {
              list.skip(lwt);
              continue;
            }
            const svc = new BinaryReader(list.bytes());
            while (svc.pos < svc.len) {
              const [sf, swt] = svc.tag();
              if (sf === 1) names.push(svc.string());
              else svc.skip(swt);
            }
          }
        }
        return names;
      },
    );
    const names = await new Promise<string[]>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
      call.write({});
    });
    call.end();
    return names.sort();
  } finally {
    client.close();
  }
}
