// A TypeScript host drives a real, unmodified HashiCorp Terraform provider (terraform-provider-time, built from the
// Go module proxy) through what Terraform runs for one managed resource, over plugin protocol 5.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@plugwire/plugin';
import { fromDynamic, handshake, provider as providerPlugin, toDynamic, Unknown, type CtyValue, type Provider } from '../../examples/src/terraform/protocol.js';
import type { Schema_Block } from '../../examples/src/gen/tfplugin5/tfplugin5.js';
import { processAlive as alive, recordingLogger } from '@plugwire/plugin/testing';
import { ensureTimeProvider, findModuleGo, skipUnlessAvailable, TIME_PROVIDER } from './setup.js';

const skip = skipUnlessAvailable(`the Terraform provider test (${TIME_PROVIDER.module}@${TIME_PROVIDER.version})`, (await findModuleGo()) ? undefined : 'Go 1.21+');

/** An object of a block's schema: every attribute and nested block null except the given ones (as Terraform sends). */
function objectOf(block: Schema_Block | undefined, values: Record<string, CtyValue>): Record<string, CtyValue> {
  const object: Record<string, CtyValue> = {};
  for (const a of block?.attributes ?? []) object[a.name] = null;
  for (const b of block?.blockTypes ?? []) object[b.typeName] = null;
  return { ...object, ...values };
}

function errorsOf(response: { diagnostics: Array<{ severity: number; summary: string; detail: string }> }): string[] {
  return response.diagnostics.filter((d) => d.severity === 1).map((d) => `${d.summary}: ${d.detail}`);
}

describe.skipIf(skip)(`TypeScript host → ${TIME_PROVIDER.module}@${TIME_PROVIDER.version} (real Go provider, tfplugin5)`, () => {
  let binary: string;
  beforeAll(async () => {
    binary = await ensureTimeProvider();
  }, 30 * 60_000);

  const clients: Client<{ provider: typeof providerPlugin }>[] = [];
  afterAll(async () => {
    for (const c of clients) await c.kill();
  });

  // With autoMTLS, plugwire refuses a plugin that prints no certificate: passing proves the provider's go-plugin
  // (v1.7.0) served pinned mutual TLS to plugwire's certificate.
  for (const autoMTLS of [false, true]) {
  it(`runs schema, config, validate, plan, apply, read and stop for time_static, then kill ends the provider (AutoMTLS ${autoMTLS ? 'on' : 'off'})`, async () => {
    const logger = recordingLogger();
    const client = new Client({
      handshake,
      versionedPlugins: { 5: { provider: providerPlugin } },
      allowedProtocols: ['grpc'],
      cmd: { command: binary, env: { TF_LOG: 'trace' } },
      autoMTLS,
      logger,
    });
    clients.push(client);
    const provider: Provider = await client.dispense('provider');
    expect(client.protocol()).toBe('grpc');
    const attached = client.reattachConfig();
    expect(attached?.protocolVersion).toBe(5);
    const pid = attached!.pid;

    const schema = await provider.getSchema({});
    expect(errorsOf(schema)).toEqual([]);
    const resource = schema.resourceSchemas['time_static'];
    expect(resource?.block?.attributes.map((a) => a.name)).toEqual(expect.arrayContaining(['id', 'rfc3339', 'triggers', 'unix', 'year']));

    const providerConfig = toDynamic(objectOf(schema.provider?.block, {}));
    const prepared = await provider.prepareProviderConfig({ config: providerConfig });
    expect(errorsOf(prepared)).toEqual([]);
    const configured = await provider.configure({ terraformVersion: '1.10.10', config: providerConfig });
    expect(errorsOf(configured)).toEqual([]);

    const config = objectOf(resource!.block, { rfc3339: '2026-07-04T12:30:45Z', triggers: { reason: 'plugwire' } });
    const validated = await provider.validateResourceTypeConfig({ typeName: 'time_static', config: toDynamic(config) });
    expect(errorsOf(validated)).toEqual([]);

    // Create: no prior state; the proposed new state is the config (computed attributes null).
    const plan = await provider.planResourceChange({
      typeName: 'time_static',
      priorState: toDynamic(null),
      proposedNewState: toDynamic(config),
      config: toDynamic(config),
    });
    expect(errorsOf(plan)).toEqual([]);
    const planned = fromDynamic(plan.plannedState) as Record<string, CtyValue>;
    expect(planned.rfc3339).toBe('2026-07-04T12:30:45Z');
    expect(planned.year).toBe(2026);

    const applied = await provider.applyResourceChange({
      typeName: 'time_static',
      priorState: toDynamic(null),
      plannedState: plan.plannedState,
      config: toDynamic(config),
      plannedPrivate: plan.plannedPrivate,
    });
    expect(errorsOf(applied)).toEqual([]);
    const state = fromDynamic(applied.newState) as Record<string, CtyValue>;
    expect(state).toMatchObject({
      id: '2026-07-04T12:30:45Z',
      rfc3339: '2026-07-04T12:30:45Z',
      year: 2026,
      month: 7,
      day: 4,
      hour: 12,
      minute: 30,
      second: 45,
      unix: 1783168245,
      triggers: { reason: 'plugwire' },
    });
    expect(Object.values(state)).not.toContain(Unknown);

    const read = await provider.readResource({ typeName: 'time_static', currentState: applied.newState, private: applied.private });
    expect(errorsOf(read)).toEqual([]);
    expect(fromDynamic(read.newState)).toEqual(state);

    const stopped = await provider.stop({});
    expect(stopped.Error).toBe('');

    // The provider's hclog JSON lines reached the host logger at their levels.
    const levels = new Set(logger.entries.map((e) => e.level));
    expect(levels).toContain('trace');
    expect(levels).toContain('debug');
    const received = logger.entries.filter((e) => e.message === 'Received request');
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((e) => e.level === 'trace')).toBe(true);
    expect(received.map((e) => e.fields['tf_rpc'])).toEqual(expect.arrayContaining(['GetProviderSchema', 'PlanResourceChange', 'ApplyResourceChange', 'ReadResource']));

    await client.kill();
    expect(client.exited()).toBe(true);
    expect(alive(pid)).toBe(false);
  });
  }
});
