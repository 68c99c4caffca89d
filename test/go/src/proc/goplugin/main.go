// A go-plugin v1.0.1 netrpc plugin serving plugin sets for protocol versions 1 and 2, for the process tests:
// a TypeScript host launches it and checks handshake, negotiation, stderr mirroring, cookie text and kill.
package main

import (
	"net/rpc"

	plugin "github.com/hashicorp/go-plugin"
)

// Greeter is the plugin's (unused) interface; only the process lifecycle matters here.
type Greeter struct{}

// GreeterPlugin implements plugin.Plugin over net/rpc.
type GreeterPlugin struct{}

func (GreeterPlugin) Server(*plugin.MuxBroker) (interface{}, error) { return &Greeter{}, nil }

func (GreeterPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (interface{}, error) { return c, nil }

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"},
		VersionedPlugins: map[int]plugin.PluginSet{
			1: {"greeter": GreeterPlugin{}},
			2: {"greeter": GreeterPlugin{}},
		},
	})
}
