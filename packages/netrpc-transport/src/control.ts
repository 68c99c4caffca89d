// go-plugin's built-in net/rpc services on the control stream, and the host's calls to them.
import { gob } from '@plugwire/gob';

/** `Control.Ping` / `Control.Quit` argument (Go sends `true`). */
export const ControlArg = gob.bool;
/** Their reply: `*struct{}`. */
export const ControlReply = gob.empty;
/** `Dispenser.Dispense` argument: the plugin name. */
export const DispenseArg = gob.string;
/** `Dispenser.Dispense` reply: `*uint32`, the broker id to dial. */
export const DispenseReply = gob.uint32;

/** go-plugin's error text for a dispense of a name the plugin set lacks. */
export function unknownPluginText(name: string): string {
  return `unknown plugin type: ${name}`;
}

/** go-plugin's error text (`NetRPCUnsupportedPlugin`) for a plugin that has no netrpc half. */
export const NETRPC_UNSUPPORTED = 'net/rpc plugin protocol not supported';
