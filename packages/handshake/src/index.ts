export { parseHandshake } from './parse.js';
export type { Handshake } from './parse.js';
export { formatHandshake } from './format.js';
export type { HandshakeLineOptions } from './format.js';
export { MAX_HANDSHAKE_LINE, unrecognizedMessage } from './diagnose.js';
export type { UnrecognizedMessageOptions } from './diagnose.js';
export {
  ENV_CLIENT_CERT,
  ENV_MAX_PORT,
  ENV_MIN_PORT,
  ENV_MULTIPLEX_GRPC,
  ENV_PROTOCOL_VERSIONS,
  ENV_UNIX_SOCKET_DIR,
  ENV_UNIX_SOCKET_GROUP,
  clientEnv,
} from './env.js';
export type { ClientEnvOptions } from './env.js';
export { COOKIE_MISMATCH_MESSAGE, NO_COOKIE_MESSAGE, checkMagicCookie } from './cookie.js';
export {
  MUX_NOT_SUPPORTED_MESSAGE,
  checkMuxSupport,
  checkProtocol,
  checkServerVersion,
  negotiateVersion,
  parseProtocolVersions,
} from './versions.js';
export { parseGoBool } from './go-text.js';
