package exshared

import (
	"context"

	"exproto/counter"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// AddHelper is served by the host; the plugin calls it back.
type AddHelper interface {
	Sum(a, b int64) (int64, error)
}

// Counter is the interface the counter plugin implements.
type Counter interface {
	Put(key string, value int64, helper AddHelper) error
	Get(key string) (int64, error)
}

// MemoryCounter keeps counters in memory and lets the host's helper add.
type MemoryCounter struct{ data map[string]int64 }

// NewMemoryCounter returns an empty MemoryCounter.
func NewMemoryCounter() *MemoryCounter { return &MemoryCounter{data: map[string]int64{}} }

func (m *MemoryCounter) Put(key string, value int64, helper AddHelper) error {
	r, err := helper.Sum(m.data[key], value)
	if err != nil {
		return err
	}
	m.data[key] = r
	return nil
}

func (m *MemoryCounter) Get(key string) (int64, error) { return m.data[key], nil }

// CounterPlugin serves and dispenses Counter.
type CounterPlugin struct{ Impl Counter }

func (p *CounterPlugin) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	counter.RegisterCounterServer(s, &counterGRPCServer{impl: p.Impl, broker: b})
	return nil
}

func (p *CounterPlugin) GRPCClient(_ context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &counterGRPCClient{client: counter.NewCounterClient(c), broker: b}, nil
}

type counterGRPCServer struct {
	impl   Counter
	broker *plugin.GRPCBroker
}

func (s *counterGRPCServer) Get(_ context.Context, req *counter.CounterGetRequest) (*counter.CounterGetResponse, error) {
	v, err := s.impl.Get(req.Key)
	return &counter.CounterGetResponse{Value: v}, err
}

func (s *counterGRPCServer) Put(_ context.Context, req *counter.CounterPutRequest) (*counter.CounterEmpty, error) {
	conn, err := s.broker.Dial(req.AddServer)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	helper := &addHelperGRPCClient{client: counter.NewAddHelperClient(conn)}
	return &counter.CounterEmpty{}, s.impl.Put(req.Key, req.Value, helper)
}

type counterGRPCClient struct {
	client counter.CounterClient
	broker *plugin.GRPCBroker
}

func (c *counterGRPCClient) Put(key string, value int64, helper AddHelper) error {
	id := c.broker.NextId()
	serve := func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		counter.RegisterAddHelperServer(s, &addHelperGRPCServer{impl: helper})
		return s
	}
	go c.broker.AcceptAndServe(id, serve)
	_, err := c.client.Put(context.Background(), &counter.CounterPutRequest{AddServer: id, Key: key, Value: value})
	return err
}

func (c *counterGRPCClient) Get(key string) (int64, error) {
	resp, err := c.client.Get(context.Background(), &counter.CounterGetRequest{Key: key})
	if err != nil {
		return 0, err
	}
	return resp.Value, nil
}

type addHelperGRPCServer struct{ impl AddHelper }

func (s *addHelperGRPCServer) Sum(_ context.Context, req *counter.SumRequest) (*counter.SumResponse, error) {
	r, err := s.impl.Sum(req.A, req.B)
	return &counter.SumResponse{R: r}, err
}

type addHelperGRPCClient struct{ client counter.AddHelperClient }

func (c *addHelperGRPCClient) Sum(a, b int64) (int64, error) {
	resp, err := c.client.Sum(context.Background(), &counter.SumRequest{A: a, B: b})
	if err != nil {
		return 0, err
	}
	return resp.R, nil
}
