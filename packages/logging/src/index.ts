export { parseLogLine } from './parse-line.js';
export type { LineState, LogEntry } from './parse-line.js';
export { mirrorStderr } from './mirror.js';
export type { StderrMirror, StderrMirrorOptions } from './mirror.js';
export { createHclogLogger } from './hclog.js';
export type { HclogLoggerOptions } from './hclog.js';
export { levelFromString, levelLogger } from './levels.js';
