// Command plugin is a go-plugin v1.0.1 gRPC plugin serving echo.Echo, for plugwire's grpc-transport interop
// tests. Add dials back into an AddHelper the host serves through the GRPCBroker; StartHelper serves one on the
// plugin side for the host to dial.
package main

import (
	"context"
	"errors"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"grpcfix/echo"
)

type adder struct{}

func (adder) Sum(_ context.Context, req *echo.SumRequest) (*echo.SumResponse, error) {
	return &echo.SumResponse{R: req.A + req.B}, nil
}

type server struct {
	echo.UnimplementedEchoServer
	broker *plugin.GRPCBroker
}

func (s *server) Echo(_ context.Context, req *echo.EchoRequest) (*echo.EchoResponse, error) {
	return &echo.EchoResponse{Data: req.Data}, nil
}

func (s *server) Add(ctx context.Context, req *echo.AddRequest) (*echo.SumResponse, error) {
	conn, err := s.broker.Dial(req.HelperId)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return echo.NewAddHelperClient(conn).Sum(ctx, &echo.SumRequest{A: req.A, B: req.B})
}

func (s *server) StartHelper(_ context.Context, _ *echo.EchoRequest) (*echo.HelperResponse, error) {
	id := s.broker.NextId()
	go s.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		srv := grpc.NewServer(opts...)
		echo.RegisterAddHelperServer(srv, adder{})
		return srv
	})
	return &echo.HelperResponse{HelperId: id}, nil
}

type echoPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (echoPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	echo.RegisterEchoServer(s, &server{broker: broker})
	return nil
}

func (echoPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, errors.New("host side not used")
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  1,
			MagicCookieKey:   "GRPCFIX_PLUGIN",
			MagicCookieValue: "echo",
		},
		Plugins:    map[string]plugin.Plugin{"echo": echoPlugin{}},
		GRPCServer: plugin.DefaultGRPCServer,
	})
}
