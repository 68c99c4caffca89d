// Command host is a go-plugin v1.0.1 gRPC host that reattaches to a running plugin (args: unix socket path, pid
// of a decoy process that go-plugin may kill) and exercises it at the transport level: ping, echo, broker
// callbacks both ways, then GRPCClient.Close (Shutdown). Prints "ok" on success; errors go to stderr, exit 1.
package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"grpcfix/echo"
)

type adder struct{}

func (adder) Sum(_ context.Context, req *echo.SumRequest) (*echo.SumResponse, error) {
	return &echo.SumResponse{R: req.A + req.B}, nil
}

type echoClient struct {
	client echo.EchoClient
	broker *plugin.GRPCBroker
}

type echoPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (echoPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return fmt.Errorf("plugin side not used")
}

func (echoPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &echoClient{client: echo.NewEchoClient(conn), broker: broker}, nil
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// step says on stderr what the host is about to do, so that a stuck run shows where it stopped.
func step(name string) {
	fmt.Fprintf(os.Stderr, "[INFO] step: %s\n", name)
}

func main() {
	addr, err := net.ResolveUnixAddr("unix", os.Args[1])
	if err != nil {
		fail("address: %s", err)
	}
	pid, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fail("pid: %s", err)
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "GRPCFIX_PLUGIN", MagicCookieValue: "echo"},
		Plugins:          map[string]plugin.Plugin{"echo": echoPlugin{}},
		Reattach:         &plugin.ReattachConfig{Protocol: plugin.ProtocolGRPC, Addr: addr, Pid: pid},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
	})
	step("connect")
	rpc, err := client.Client()
	if err != nil {
		fail("client: %s", err)
	}
	step("ping")
	if err := rpc.Ping(); err != nil {
		fail("ping: %s", err)
	}
	raw, err := rpc.Dispense("echo")
	if err != nil {
		fail("dispense: %s", err)
	}
	c := raw.(*echoClient)
	ctx := context.Background()

	step("echo")
	data := bytes.Repeat([]byte{5}, 3<<20)
	res, err := c.client.Echo(ctx, &echo.EchoRequest{Data: data})
	if err != nil || !bytes.Equal(res.Data, data) {
		fail("echo: %v", err)
	}

	step("add")
	id := c.broker.NextId()
	go c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		echo.RegisterAddHelperServer(s, adder{})
		return s
	})
	sum, err := c.client.Add(ctx, &echo.AddRequest{A: 40, B: 2, HelperId: id})
	if err != nil || sum.R != 42 {
		fail("add through the host's broker server: %v %v", sum, err)
	}

	step("start helper")
	helper, err := c.client.StartHelper(ctx, &echo.EchoRequest{})
	if err != nil {
		fail("start helper: %s", err)
	}
	step("dial helper")
	conn, err := c.broker.Dial(helper.HelperId)
	if err != nil {
		fail("dial plugin helper: %s", err)
	}
	step("sum on helper")
	sum, err = echo.NewAddHelperClient(conn).Sum(ctx, &echo.SumRequest{A: 7, B: 8})
	if err != nil || sum.R != 15 {
		fail("sum on the plugin's broker server: %v %v", sum, err)
	}
	conn.Close()

	step("close")
	if err := rpc.Close(); err != nil {
		fail("close: %s", err)
	}
	fmt.Println("ok")
}
