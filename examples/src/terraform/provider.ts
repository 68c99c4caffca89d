// A Terraform/OpenTofu provider written in TypeScript with plugwire: one resource, `plugwire_file`.
//
//   node examples/dist/terraform/provider.js           launched by tofu/terraform (a dev override or plugin dir)
//   node examples/dist/terraform/provider.js --debug   started by you; prints TF_REATTACH_PROVIDERS for tofu
import { serve } from '@plugwire/plugin';
import { fileHandlers, fileSchema, FILE_TYPE } from './file-resource.js';
import { handshake, provider, type Provider } from './protocol.js';
import { Configure_Response, GetProviderSchema_Response, PrepareProviderConfig_Response, Stop_Response } from '../gen/tfplugin5/tfplugin5.js';

/** The provider's address in `required_providers` (override with PLUGWIRE_PROVIDER_ADDRESS). */
const address = process.env.PLUGWIRE_PROVIDER_ADDRESS ?? 'registry.opentofu.org/plugwire/plugwire';

const emptyBlock = { version: 0, attributes: [], blockTypes: [] };

/** The provider: its schema, an empty provider configuration, and the `plugwire_file` resource. */
const implementation: Provider = {
  getSchema: async () =>
    GetProviderSchema_Response.fromPartial({
      provider: { version: 0, block: emptyBlock },
      resourceSchemas: { [FILE_TYPE]: fileSchema },
      serverCapabilities: { planDestroy: true },
    }),
  prepareProviderConfig: async (request) => PrepareProviderConfig_Response.fromPartial({ preparedConfig: request.config }),
  configure: async () => Configure_Response.fromPartial({}),
  stop: async () => Stop_Response.fromPartial({}),
  ...fileHandlers,
};

const plugins = { 5: { provider: provider.implement(implementation) } };

if (process.argv.includes('--debug')) {
  // Debug mode (as terraform-plugin-go's): no magic cookie, the provider runs until interrupted, and tofu attaches
  // to it through TF_REATTACH_PROVIDERS instead of launching it.
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  await serve({
    handshake,
    versionedPlugins: plugins,
    test: {
      signal: stop.signal,
      onReattachConfig: (c) => {
        const reattach = {
          [address]: {
            Protocol: c.protocol,
            ProtocolVersion: c.protocolVersion,
            Pid: c.pid,
            Test: true,
            Addr: { Network: c.address.network, String: c.address.address },
          },
        };
        process.stdout.write(`TF_REATTACH_PROVIDERS='${JSON.stringify(reattach)}'\n`);
      },
    },
  });
} else {
  await serve({ handshake, versionedPlugins: plugins });
}
