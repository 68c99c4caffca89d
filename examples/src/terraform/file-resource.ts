// The one resource of the example provider: `plugwire_file`, a local file with the given content. Terraform's
// plugin protocol 5 handlers for it, written against the generated tfplugin5 types.
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import {
  ApplyResourceChange_Response,
  PlanResourceChange_Response,
  ReadResource_Response,
  UpgradeResourceState_Response,
  ValidateResourceTypeConfig_Response,
  type DeepPartial,
  type Schema,
} from '../gen/tfplugin5/tfplugin5.js';
import { fromDynamic, toDynamic, Unknown, type CtyValue, type Provider } from './protocol.js';

/** The resource type's name in configurations. */
export const FILE_TYPE = 'plugwire_file';

/** Its state: where the file is, what it holds, and an id (the content's SHA-256). */
interface FileState {
  path: string;
  content: string;
  id: string | typeof Unknown | null;
}

const stringType = Buffer.from(JSON.stringify('string'));

/** The resource's schema (version 0): `path` and `content` required, `id` computed. */
export const fileSchema: Schema = {
  version: 0,
  block: {
    version: 0,
    attributes: [
      { name: 'path', type: stringType, description: 'Where the file is written.', required: true },
      { name: 'content', type: stringType, description: 'What the file holds.', required: true },
      { name: 'id', type: stringType, description: 'SHA-256 of the content.', computed: true },
    ].map((a) => ({ optional: false, required: false, computed: false, sensitive: false, descriptionKind: 0, deprecated: false, writeOnly: false, deprecationMessage: '', ...a })),
    blockTypes: [],
    description: 'A local file with the given content.',
    descriptionKind: 0,
    deprecated: false,
    deprecationMessage: '',
  },
};

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function asFile(value: CtyValue): FileState | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  return value as unknown as FileState;
}

function stateValue(state: FileState | null): CtyValue {
  return state === null ? null : { path: state.path, content: state.content, id: state.id };
}

function errorDiagnostic(summary: string, detail: string) {
  return { severity: 1, summary, detail, attribute: undefined };
}

/** A generated message type: makes a complete message from a partial one. */
interface MessageType<T> {
  fromPartial(object: never): T;
}

/**
 * Completes a handler's partial response with the protocol's defaults, and turns a thrown error into an error
 * diagnostic (what Terraform shows the user; a gRPC error would read as a provider crash).
 */
function handler<Req, Res>(response: MessageType<Res>, fn: (request: Req) => Promise<DeepPartial<Res>>): (request: Req) => Promise<Res> {
  const complete = response.fromPartial as (partial: unknown) => Res;
  return (request) =>
    fn(request).then(
      (res) => complete(res),
      (err: Error) => complete({ diagnostics: [errorDiagnostic('plugwire_file failed', err.message)] }),
    );
}

/** The `plugwire_file` handlers of the provider's tfplugin5 service. */
export const fileHandlers: Pick<Provider, 'validateResourceTypeConfig' | 'upgradeResourceState' | 'readResource' | 'planResourceChange' | 'applyResourceChange'> = {
  validateResourceTypeConfig: handler(ValidateResourceTypeConfig_Response, async ({ config }) => {
    const file = asFile(fromDynamic(config));
    if (file && typeof file.path === 'string' && file.path.trim() === '') {
      return { diagnostics: [errorDiagnostic('Invalid path', 'path must not be empty')] };
    }
    return {};
  }),

  upgradeResourceState: handler(UpgradeResourceState_Response, async ({ rawState }) => {
    // Schema version 0 is the only one: state written by this provider is already in its shape.
    const raw = JSON.parse(rawState?.json?.toString('utf8') || 'null') as FileState | null;
    return { upgradedState: toDynamic(raw && { path: raw.path, content: raw.content, id: raw.id }) };
  }),

  readResource: handler(ReadResource_Response, async ({ currentState, private: priv }) => {
    const state = asFile(fromDynamic(currentState));
    if (!state) return { newState: toDynamic(null), private: priv };
    let content: string;
    try {
      content = await readFile(state.path, 'utf8');
    } catch (err) {
      // Deleted outside Terraform: the resource is gone, and the next plan creates it again.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { newState: toDynamic(null), private: priv };
      throw err;
    }
    return { newState: toDynamic(stateValue({ ...state, content, id: sha256(content) })), private: priv };
  }),

  planResourceChange: handler(PlanResourceChange_Response, async ({ priorState, proposedNewState, priorPrivate }) => {
    const prior = asFile(fromDynamic(priorState));
    const proposed = asFile(fromDynamic(proposedNewState));
    if (!proposed) return { plannedState: toDynamic(null), plannedPrivate: priorPrivate }; // destroy
    const changed = !prior || prior.path !== proposed.path || prior.content !== proposed.content;
    const planned: FileState = { ...proposed, id: changed ? Unknown : prior.id };
    const requiresReplace = prior && prior.path !== proposed.path ? [{ steps: [{ attributeName: 'path' }] }] : [];
    return { plannedState: toDynamic(stateValue(planned)), requiresReplace, plannedPrivate: priorPrivate };
  }),

  applyResourceChange: handler(ApplyResourceChange_Response, async ({ priorState, plannedState, plannedPrivate }) => {
    const prior = asFile(fromDynamic(priorState));
    const planned = asFile(fromDynamic(plannedState));
    if (!planned) {
      if (prior) await rm(prior.path, { force: true });
      return { newState: toDynamic(null), private: plannedPrivate };
    }
    await writeFile(planned.path, planned.content);
    return { newState: toDynamic(stateValue({ ...planned, id: sha256(planned.content) })), private: plannedPrivate };
  }),
};
