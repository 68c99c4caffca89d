// A go-plugin v1.0.1 host that starts the plugin command given as arguments, prints what its handshake parser
// made of the line ("network address protocol version") and SIGKILLs it. The plugin's stderr goes through the
// host's hclog logger to this program's stderr, so tests can see how go-plugin parsed plugwire's log lines.
package main

import (
	"fmt"
	"net/rpc"
	"os"
	"os/exec"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

type stub struct{}

func (stub) Server(*plugin.MuxBroker) (interface{}, error)              { return nil, nil }
func (stub) Client(*plugin.MuxBroker, *rpc.Client) (interface{}, error) { return nil, nil }

func main() {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"},
		VersionedPlugins: map[int]plugin.PluginSet{1: {"s": stub{}}, 2: {"s": stub{}}},
		Cmd:              exec.Command(os.Args[1], os.Args[2:]...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC, plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Trace, Output: os.Stderr}),
	})
	addr, err := client.Start()
	if err != nil {
		fmt.Printf("error %s\n", err)
		client.Kill()
		os.Exit(1)
	}
	fmt.Printf("%s %s %s %d\n", addr.Network(), addr.String(), client.Protocol(), client.NegotiatedVersion())
	// client.Kill() would dial the plugin over net/rpc, which this fixture plugin does not serve: kill the pid.
	if p, err := os.FindProcess(client.ReattachConfig().Pid); err == nil {
		p.Signal(syscall.SIGKILL)
	}
	// Exited() turns true once the plugin's stderr is fully logged and the process reaped.
	for i := 0; i < 500 && !client.Exited(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
}
