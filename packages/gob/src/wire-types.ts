// Type descriptors on the wire: Go's predefined type ids and the `wireType` struct that defines every other type.
import { ByteReader, ByteWriter, gobError } from './bytes.js';
import type { EncoderFlavor } from './schema.js';

/** Ids every gob stream knows without a definition. */
export const BuiltinId = {
  bool: 1,
  int: 2,
  uint: 3,
  float: 4,
  bytes: 5,
  string: 6,
  complex: 7,
  interface: 8,
} as const;

/**
 * First id this encoder assigns (as Go up to 1.20 did: its counter was incremented before use, so user types started
 * at 65).
 */
export const FIRST_USER_ID = 65;

/**
 * Lowest id a peer may define (Go's `firstUserId`): newer Go (seen with 1.26) gives the first user type 64 itself,
 * so a decoder must accept it.
 */
export const FIRST_DEFINABLE_ID = 64;

/** A type defined on the stream, with component types referenced by id. */
export type WireDesc =
  | { readonly kind: 'struct'; readonly name: string; readonly fields: ReadonlyArray<{ name: string; id: number }> }
  | { readonly kind: 'slice'; readonly name: string; readonly elem: number }
  | { readonly kind: 'array'; readonly name: string; readonly elem: number; readonly len: number }
  | { readonly kind: 'map'; readonly name: string; readonly key: number; readonly elem: number }
  | { readonly kind: 'encoder'; readonly name: string; readonly flavor: EncoderFlavor };

// Field numbers of Go's wireType struct and the structs it holds.
const WIRE_FIELD = { array: 0, slice: 1, struct: 2, map: 3, gob: 4, binary: 5, text: 6 } as const;

function writeCommon(w: ByteWriter, name: string, id: number): void {
  // CommonType{Name, Id}; zero fields are omitted like any struct field.
  let last = -1;
  if (name !== '') {
    w.uint(0 - last);
    w.string(name);
    last = 0;
  }
  w.uint(1 - last);
  w.int(id);
  w.byte(0);
}

/** Writes `-id` and the wireType value describing `desc` (one type-definition message body). */
export function writeTypeDefinition(w: ByteWriter, id: number, desc: WireDesc): void {
  w.int(-id);
  switch (desc.kind) {
    case 'array':
      w.uint(WIRE_FIELD.array + 1);
      w.uint(1);
      writeCommon(w, desc.name, id);
      w.uint(1);
      w.int(desc.elem);
      if (desc.len !== 0) {
        w.uint(1);
        w.int(desc.len);
      }
      w.byte(0);
      break;
    case 'slice':
      w.uint(WIRE_FIELD.slice + 1);
      w.uint(1);
      writeCommon(w, desc.name, id);
      w.uint(1);
      w.int(desc.elem);
      w.byte(0);
      break;
    case 'struct':
      w.uint(WIRE_FIELD.struct + 1);
      w.uint(1);
      writeCommon(w, desc.name, id);
      if (desc.fields.length > 0) {
        w.uint(1);
        w.uint(desc.fields.length);
        for (const f of desc.fields) {
          let last = -1;
          if (f.name !== '') {
            w.uint(1);
            w.string(f.name);
            last = 0;
          }
          w.uint(1 - last);
          w.int(f.id);
          w.byte(0);
        }
      }
      w.byte(0);
      break;
    case 'map':
      w.uint(WIRE_FIELD.map + 1);
      w.uint(1);
      writeCommon(w, desc.name, id);
      w.uint(1);
      w.int(desc.key);
      w.uint(1);
      w.int(desc.elem);
      w.byte(0);
      break;
    case 'encoder':
      w.uint(WIRE_FIELD[desc.flavor] + 1);
      w.uint(1);
      writeCommon(w, desc.name, id);
      w.byte(0);
      break;
  }
  w.byte(0);
}

/** Reads a struct's fields: calls `field(n)` for each present field number, which must consume its value. */
function readStruct(r: ByteReader, fieldCount: number, what: string, field: (n: number) => void): void {
  let n = -1;
  for (;;) {
    const delta = r.smallUint('field delta');
    if (delta === 0) return;
    n += delta;
    if (n >= fieldCount) throw gobError(`field number ${n} out of range in ${what}`);
    field(n);
  }
}

function readCommon(r: ByteReader): { name: string; id: number } {
  const common = { name: '', id: 0 };
  readStruct(r, 2, 'CommonType', (n) => {
    if (n === 0) {
      common.name = r.string();
      if (common.name.length > 1024) throw gobError('type name longer than 1024 bytes');
    } else common.id = r.smallInt('type id');
  });
  return common;
}

/** Reads a wireType value (after the negative id) into a descriptor. */
export function readWireType(r: ByteReader): WireDesc {
  let desc: WireDesc | undefined;
  readStruct(r, 7, 'wireType', (n) => {
    if (desc !== undefined) throw gobError('wireType defines more than one kind');
    let name = '';
    switch (n) {
      case WIRE_FIELD.array: {
        let elem = 0;
        let len = 0;
        readStruct(r, 3, 'arrayType', (f) => {
          if (f === 0) name = readCommon(r).name;
          else if (f === 1) elem = r.smallInt('type id');
          else len = r.smallInt('array length');
        });
        if (len < 0) throw gobError(`negative array length ${len}`);
        desc = { kind: 'array', name, elem, len };
        break;
      }
      case WIRE_FIELD.slice: {
        let elem = 0;
        readStruct(r, 2, 'sliceType', (f) => {
          if (f === 0) name = readCommon(r).name;
          else elem = r.smallInt('type id');
        });
        desc = { kind: 'slice', name, elem };
        break;
      }
      case WIRE_FIELD.struct: {
        const fields: Array<{ name: string; id: number }> = [];
        readStruct(r, 2, 'structType', (f) => {
          if (f === 0) {
            name = readCommon(r).name;
            return;
          }
          const count = r.count('field count');
          for (let i = 0; i < count; i++) {
            const field = { name: '', id: 0 };
            readStruct(r, 2, 'fieldType', (ff) => {
              if (ff === 0) field.name = r.string();
              else field.id = r.smallInt('type id');
            });
            fields.push(field);
          }
        });
        desc = { kind: 'struct', name, fields };
        break;
      }
      case WIRE_FIELD.map: {
        let key = 0;
        let elem = 0;
        readStruct(r, 3, 'mapType', (f) => {
          if (f === 0) name = readCommon(r).name;
          else if (f === 1) key = r.smallInt('type id');
          else elem = r.smallInt('type id');
        });
        desc = { kind: 'map', name, key, elem };
        break;
      }
      default: {
        readStruct(r, 1, 'gobEncoderType', () => {
          name = readCommon(r).name;
        });
        const flavor: EncoderFlavor = n === WIRE_FIELD.gob ? 'gob' : n === WIRE_FIELD.binary ? 'binary' : 'text';
        desc = { kind: 'encoder', name, flavor };
      }
    }
  });
  if (desc === undefined) throw gobError('empty type definition');
  return desc;
}
