// A host that launches a counter plugin and serves it an AddHelper through the broker.
import { Client } from '@plugwire/plugin';
import { counter as counterPlugin, handshake, type AddHelper, type Counter } from './definition.js';

/**
 * Launches the counter plugin at `command args`, adds to a counter twice (each time the plugin calls back into
 * the host's AddHelper), reads it, and kills the plugin.
 */
export async function runCounterHost(command: string, args: readonly string[], log: (line: string) => void): Promise<void> {
  const client = new Client({ handshake, plugins: { counter: counterPlugin }, cmd: { command, args } });
  let sums = 0;
  const helper: AddHelper = {
    async sum(a, b) {
      sums++;
      return a + b;
    },
  };
  try {
    const counter: Counter = await client.dispense('counter');
    log(`counter: launched ${command} ${args.join(' ')} (protocol ${client.protocol()})`);
    await counter.put('visits', 2, helper);
    await counter.put('visits', 40, helper);
    log(`counter: put 2, put 40 -> get visits = ${await counter.get('visits')} (host AddHelper called ${sums} times by the plugin)`);
  } finally {
    await client.kill();
  }
}
