// Encoding the user's file descriptors for gRPC reflection: a FileDescriptorSet from encoded FileDescriptorProtos,
// and a FileDescriptorProto from its JSON-like object form (ts-proto's `protoMetadata.fileDescriptor`).
import type { JsonValue } from '@bufbuild/protobuf';
import { BinaryWriter } from '@bufbuild/protobuf/wire';

/**
 * A google.protobuf.FileDescriptorSet holding `files` (encoded FileDescriptorProtos), for
 * `reflectionDescriptorSets`.
 * @param files - encoded FileDescriptorProtos
 */
export function fileDescriptorSet(files: readonly Uint8Array[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const file of files) writer.tag(1, 2).bytes(file);
  return writer.finish();
}

/**
 * Drops unset values (undefined, null, 0, '', false, empty arrays and objects) from object fields, as protobuf's
 * own encoders skip them: in the object form every field is present, but a proto2 field that is present on the
 * wire means "set" (a `oneofIndex: 0` would put every field in a oneof).
 */
function withoutDefaults(value: unknown): JsonValue | undefined {
  if (Array.isArray(value)) {
    const items = value.map((v) => (typeof v === 'object' && v !== null ? (withoutDefaults(v) ?? {}) : (v as JsonValue)));
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, JsonValue> = {};
    for (const [key, v] of Object.entries(value)) {
      const kept = typeof v === 'object' && v !== null ? withoutDefaults(v) : v;
      if (kept === undefined || kept === null || kept === 0 || kept === '' || kept === false) continue;
      out[key] = kept as JsonValue;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value as JsonValue;
}

/**
 * Encodes a google.protobuf.FileDescriptorProto given as an object with protobuf's JSON field names (lowerCamelCase)
 * and numeric enums, e.g. ts-proto's `protoMetadata.fileDescriptor` (generated with `outputSchema=true`). The
 * protobuf runtime it needs (about 70 ms to load) is loaded on the first call, not at start-up.
 * @param file - the descriptor object
 * @throws Error when the object is not a FileDescriptorProto
 */
export async function encodeFileDescriptorProto(file: object): Promise<Uint8Array> {
  const [{ fromJson, toBinary }, { FileDescriptorProtoSchema }] = await Promise.all([import('@bufbuild/protobuf'), import('@bufbuild/protobuf/wkt')]);
  return toBinary(FileDescriptorProtoSchema, fromJson(FileDescriptorProtoSchema, withoutDefaults(file) ?? {}, { ignoreUnknownFields: true }));
}
