// Issue 8: the kv plugin against go-plugin v1.8.0 (test/go-modern), beside the v1.0.1 rows of plugins.bench.ts and
// measured the same way (its measure/launches/exbench): Go host v1.8 → TS plugin, TS host → Go v1.8 plugin, Go↔Go
// v1.8, over gRPC and netrpc; and, for gRPC, a TS host with grpcBrokerMultiplex (one connection carrying a yamux
// session) → Go v1.8 plugin.
import type { ProtocolName } from '@plugwire/plugin';
import { buildGoModern, goAvailable } from '../test/support/go.js';
import { goHost, launches, measure, plugwireHost, row, tsPlugin } from './plugins.bench.js';
import type { BenchSection } from './types.js';

async function section(proto: ProtocolName, goPlugin: string, exbench: string): Promise<BenchSection> {
  const toGo = plugwireHost(proto, goPlugin, ['kv', proto]);
  const opens = proto === 'grpc' ? [toGo, plugwireHost(proto, goPlugin, ['kv', proto], { grpcBrokerMultiplex: true })] : [toGo];
  const launchMs = await launches(opens);
  const rows = [row('plugwire TS host → Go v1.8 plugin', await measure(toGo, launchMs[0]!))];
  if (proto === 'grpc') rows.push(row('plugwire TS host → Go v1.8 plugin, grpcBrokerMultiplex', await measure(opens[1]!, launchMs[1]!)));
  rows.push(
    row('go-plugin v1.8 Go host → TS plugin', await goHost(proto, [process.execPath, tsPlugin(proto)], exbench)),
    row('go-plugin v1.8 Go host ↔ Go v1.8 plugin', await goHost(proto, [goPlugin, 'kv', proto], exbench)),
  );
  return { title: `go-plugin v1.8.0, ${proto}: kv plugin, host and plugin in separate processes`, rows };
}

export default async function goV18Bench(): Promise<BenchSection[]> {
  if (!goAvailable) return [{ title: 'go-plugin v1.8.0', rows: [], notes: ['skipped: Go toolchain not installed'] }];
  const [goPlugin, exbench] = await Promise.all([buildGoModern('explugin'), buildGoModern('exbench')]);
  return [await section('grpc', goPlugin, exbench), await section('netrpc', goPlugin, exbench)];
}
