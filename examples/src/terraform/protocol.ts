// Terraform's plugin protocol 5 as plugwire speaks it: the handshake Terraform and OpenTofu use, the `provider`
// plugin for both sides, and DynamicValue (cty values in msgpack) with unknown values.
import { decode, encode, ExtensionCodec } from '@msgpack/msgpack';
import { definePlugin, type AbortOptions, type HandshakeConfig } from '@plugwire/plugin';
import { implement, partial, type ResponseOf, type ServiceHandlers } from '@plugwire/plugin/grpc';
import {
  ApplyResourceChange_Request,
  Configure_Request,
  DynamicValue,
  GetProviderSchema_Request,
  PlanResourceChange_Request,
  PrepareProviderConfig_Request,
  ProviderService,
  ReadResource_Request,
  Stop_Request,
  UpgradeResourceState_Request,
  ValidateResourceTypeConfig_Request,
  type DeepPartial,
} from '../gen/tfplugin5/tfplugin5.js';

/**
 * Terraform's handshake (terraform-plugin-go's `tf5server`): legacy version 4, this magic cookie. The provider
 * serves plugin protocol 5 (`tfplugin5`), which the host asks for with `versionedPlugins: { 5: ... }`.
 */
export const handshake: HandshakeConfig = {
  protocolVersion: 4,
  magicCookieKey: 'TF_PLUGIN_MAGIC_COOKIE',
  magicCookieValue: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
};

/** A value not known until apply: cty's msgpack extension 0 (and 12, an unknown with refinements). */
export const Unknown: unique symbol = Symbol('unknown');

/** A cty value decoded from msgpack: objects and maps are plain records. */
export type CtyValue = null | string | number | boolean | typeof Unknown | CtyValue[] | { [key: string]: CtyValue };

const codec = new ExtensionCodec();
codec.register({ type: 0, encode: (v) => (v === Unknown ? new Uint8Array([0]) : null), decode: () => Unknown });
codec.register({ type: 12, encode: () => null, decode: () => Unknown });

/** Encodes a cty value as a DynamicValue (msgpack, unknowns as extension 0). */
export function toDynamic(value: CtyValue): DynamicValue {
  return DynamicValue.fromPartial({ msgpack: Buffer.from(encode(value, { extensionCodec: codec })) });
}

/** Decodes a DynamicValue (msgpack or JSON) into a cty value; an absent value is null. */
export function fromDynamic(value: DeepPartial<DynamicValue> | undefined): CtyValue {
  if (value?.msgpack?.length) return decode(value.msgpack, { extensionCodec: codec }) as CtyValue;
  if (value?.json?.length) return JSON.parse(Buffer.from(value.json).toString('utf8')) as CtyValue;
  return null;
}

// The RPCs Terraform runs for one managed resource, with the message type that completes each request.
const requests = {
  getSchema: GetProviderSchema_Request,
  prepareProviderConfig: PrepareProviderConfig_Request,
  validateResourceTypeConfig: ValidateResourceTypeConfig_Request,
  upgradeResourceState: UpgradeResourceState_Request,
  configure: Configure_Request,
  readResource: ReadResource_Request,
  planResourceChange: PlanResourceChange_Request,
  applyResourceChange: ApplyResourceChange_Request,
  stop: Stop_Request,
} as const;

type RequestOf<K extends keyof typeof requests> = DeepPartial<ReturnType<(typeof requests)[K]['fromPartial']>>;

/** The host's view of a protocol-5 provider: Terraform's RPCs for one managed resource, as promises. */
export type Provider = {
  [K in keyof typeof requests]: (request: RequestOf<K>, options?: AbortOptions) => Promise<ResponseOf<(typeof ProviderService)[K]>>;
};

/**
 * The `provider` plugin of Terraform's plugin protocol 5. The host calls Terraform's RPCs with partial requests
 * (completed with the protocol's defaults); a provider process serves a {@link Provider} implementation, and every
 * other RPC answers UNIMPLEMENTED, as Terraform expects of optional ones.
 */
export const provider = definePlugin<Provider>({
  grpc: {
    server: (impl) => {
      const handlers = Object.fromEntries(Object.keys(requests).map((name) => [name, (request: never) => impl[name as keyof Provider](request)]));
      return implement(ProviderService, partial<typeof ProviderService>(handlers as Partial<ServiceHandlers<typeof ProviderService>>));
    },
    client: (conn) => {
      const client = conn.client(ProviderService) as unknown as Record<string, (request: unknown, options?: AbortOptions) => Promise<unknown>>;
      const entries = Object.entries(requests).map(([name, type]) => {
        const complete = type.fromPartial as (partial: unknown) => unknown;
        return [name, (request: unknown, options?: AbortOptions) => client[name]!(complete(request), options)] as const;
      });
      return Object.fromEntries(entries) as Provider;
    },
  },
});
