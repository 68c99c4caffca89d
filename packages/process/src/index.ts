export { launch } from './launch.js';
export type { LaunchOptions } from './options.js';
export { DEFAULT_KILL_TIMEOUT, DEFAULT_START_TIMEOUT } from './options.js';
export { reattach } from './reattach.js';
export { cleanupClients, manage } from './manage.js';
export type { ManagedClient } from './manage.js';
export type { PluginProcess, ProcessExit, ReattachConfig, ReattachOptions } from './types.js';
export { verifyChecksum } from '@plugwire/trust';
export type { SecureConfig, VerifyOptions } from '@plugwire/trust';
