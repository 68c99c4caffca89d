export { main } from './main.js';
export type { Command, Io } from './io.js';
export { EXIT } from './exit-codes.js';
export { doctor } from './doctor.js';
export type { DoctorReport, DoctorReporter, ServiceInfo, Step, StepStatus } from './doctor.js';
export type { Cause, Diagnosis } from './diagnosis.js';
export type { LaunchSpec } from './launch-spec.js';
export type { Output } from './render.js';
