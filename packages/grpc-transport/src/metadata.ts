// grpc-js Metadata ↔ HTTP/2 header fields, for the h2 channel (the host's calls) and the h2 server (the plugin's).
import * as grpc from '@grpc/grpc-js';
import type { HeaderField } from '@plugwire/h2';

/** Metadata as header fields (`-bin` values base64), in the order grpc-js would send them. */
export function toFields(metadata: grpc.Metadata): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const [name, value] of Object.entries(metadata.toHttp2Headers())) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) fields.push([name, String(v)]);
    else fields.push([name, String(value)]);
  }
  return fields;
}

/** Received metadata as a grpc-js `Metadata` (`-bin` values decoded); keys grpc-js refuses are skipped, as grpc-js does. */
export function toMetadata(fields: readonly HeaderField[]): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [name, value] of fields) {
    try {
      if (name.endsWith('-bin')) {
        for (const part of value.split(',')) metadata.add(name, Buffer.from(part.trim(), 'base64'));
      } else {
        metadata.add(name, value);
      }
    } catch {
      // An invalid key or value: grpc-js logs and drops it too.
    }
  }
  return metadata;
}
