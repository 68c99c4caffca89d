import * as grpc from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from './gen/grpc/health/v1/health.js';

/** go-plugin's `GRPCServiceName`: the health service name its Ping checks. */
export const GRPC_SERVICE_NAME = 'plugin';

/** The plugin side of grpc.health.v1.Health plus its shutdown. */
export interface HealthService {
  /** The grpc-js implementation to add to the server. */
  readonly implementation: HealthServer;
  /** Ends every Watch stream. */
  close(): void;
}

/**
 * grpc.health.v1.Health as grpc-go's health server answers it for go-plugin: the overall server ("") and
 * "plugin" are SERVING; other names are NOT_FOUND for Check and SERVICE_UNKNOWN for Watch.
 */
export function createHealthService(): HealthService {
  const watchers = new Set<grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>();
  const known = (service: string): boolean => service === '' || service === GRPC_SERVICE_NAME;
  return {
    implementation: {
      check(call, callback) {
        if (known(call.request.service)) callback(null, { status: HealthCheckResponse_ServingStatus.SERVING });
        else callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      },
      watch(call) {
        watchers.add(call);
        const forget = (): void => {
          watchers.delete(call);
        };
        call.on('cancelled', forget);
        call.on('close', forget);
        call.write({
          status: known(call.request.service) ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN,
        });
      },
    },
    close() {
      for (const call of watchers) call.end();
      watchers.clear();
    },
  };
}
