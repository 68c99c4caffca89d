// The TypeScript Terraform provider example (examples/src/terraform) launched by plugwire's own host with
// Terraform's handshake: what tofu does with it (test/real/tofu.test.ts), step by step, without Go.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@plugwire/plugin';
import { fromDynamic, handshake, provider as providerPlugin, toDynamic, Unknown, type CtyValue, type Provider } from '../src/terraform/protocol.js';
import { alive, nodePlugin } from './support.js';

describe('TypeScript Terraform provider (plugwire_file) under a plugwire host, tfplugin5', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('negotiates protocol 5 and runs schema, plan (unknown id), apply, read, update in place, destroy; bad config is a diagnostic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugwire-tfprovider-'));
    dirs.push(dir);
    const path = join(dir, 'out.txt');
    const client = new Client({
      handshake,
      versionedPlugins: { 5: { provider: providerPlugin } },
      allowedProtocols: ['grpc'],
      cmd: nodePlugin('terraform/provider.js'),
    });
    let pid = 0;
    try {
      const p: Provider = await client.dispense('provider');
      pid = client.reattachConfig()!.pid;
      expect(client.reattachConfig()?.protocolVersion).toBe(5);

      const schema = await p.getSchema({});
      expect(schema.resourceSchemas['plugwire_file']?.block?.attributes.map((a) => a.name)).toEqual(['path', 'content', 'id']);
      expect(JSON.parse(schema.resourceSchemas['plugwire_file']!.block!.attributes[0]!.type.toString())).toBe('string');

      const bad = await p.validateResourceTypeConfig({ typeName: 'plugwire_file', config: toDynamic({ path: ' ', content: 'x', id: null }) });
      expect(bad.diagnostics).toMatchObject([{ severity: 1, summary: 'Invalid path' }]);

      const config = { path, content: 'one', id: null };
      const plan = await p.planResourceChange({ typeName: 'plugwire_file', priorState: toDynamic(null), proposedNewState: toDynamic(config), config: toDynamic(config) });
      expect(fromDynamic(plan.plannedState)).toEqual({ path, content: 'one', id: Unknown });

      const created = await p.applyResourceChange({ typeName: 'plugwire_file', priorState: toDynamic(null), plannedState: plan.plannedState, config: toDynamic(config) });
      expect(created.diagnostics).toEqual([]);
      const state = fromDynamic(created.newState) as Record<string, CtyValue>;
      expect(state).toMatchObject({ path, content: 'one' });
      expect(state.id).toMatch(/^[0-9a-f]{64}$/);
      expect(readFileSync(path, 'utf8')).toBe('one');

      const read = await p.readResource({ typeName: 'plugwire_file', currentState: created.newState });
      expect(fromDynamic(read.newState)).toEqual(state);

      const changed = { ...state, content: 'two' };
      const plan2 = await p.planResourceChange({ typeName: 'plugwire_file', priorState: created.newState, proposedNewState: toDynamic(changed), config: toDynamic({ ...changed, id: null }) });
      expect(plan2.requiresReplace).toEqual([]);
      const updated = await p.applyResourceChange({ typeName: 'plugwire_file', priorState: created.newState, plannedState: plan2.plannedState, config: toDynamic(changed) });
      expect(readFileSync(path, 'utf8')).toBe('two');

      const moved = { ...(fromDynamic(updated.newState) as Record<string, CtyValue>), path: join(dir, 'elsewhere.txt') };
      const plan3 = await p.planResourceChange({ typeName: 'plugwire_file', priorState: updated.newState, proposedNewState: toDynamic(moved), config: toDynamic(moved) });
      expect(plan3.requiresReplace).toEqual([{ steps: [{ attributeName: 'path' }] }]);

      const destroyPlan = await p.planResourceChange({ typeName: 'plugwire_file', priorState: updated.newState, proposedNewState: toDynamic(null), config: toDynamic(null) });
      expect(fromDynamic(destroyPlan.plannedState)).toBeNull();
      const destroyed = await p.applyResourceChange({ typeName: 'plugwire_file', priorState: updated.newState, plannedState: destroyPlan.plannedState, config: toDynamic(null) });
      expect(fromDynamic(destroyed.newState)).toBeNull();
      expect(existsSync(path)).toBe(false);

      // Gone outside Terraform: read says so with a null state.
      const gone = await p.readResource({ typeName: 'plugwire_file', currentState: updated.newState });
      expect(fromDynamic(gone.newState)).toBeNull();
    } finally {
      await client.kill();
    }
    expect(client.exited()).toBe(true);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });
});
