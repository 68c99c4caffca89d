export { gob, registeredName } from './schema.js';
export type {
  Complex,
  EncoderFlavor,
  GobDynamic,
  GobField,
  GobFields,
  GobInterface,
  GobType,
  GobTypeNode,
  GobValue,
  Infer,
  IntBits,
} from './schema.js';
export { createEncoder, encodeGob } from './encoder.js';
export type { GobEncoder } from './encoder.js';
export { createDecoder, decodeGob } from './decoder.js';
export type { GobDecoder, GobDecoderOptions } from './decoder.js';
