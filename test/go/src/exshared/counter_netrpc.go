package exshared

import (
	"net/rpc"

	plugin "github.com/hashicorp/go-plugin"
)

// PutArgs is the argument of Plugin.Put over net/rpc: AddServer is the MuxBroker id the host serves AddHelper on.
type PutArgs struct {
	AddServer uint32
	Key       string
	Value     int64
}

// SumArgs is the argument of the host's Plugin.Sum (the AddHelper) over net/rpc.
type SumArgs struct {
	A int64
	B int64
}

func (p *CounterPlugin) Server(b *plugin.MuxBroker) (interface{}, error) {
	return &CounterRPCServer{Impl: p.Impl, broker: b}, nil
}

func (p *CounterPlugin) Client(b *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &counterRPCClient{client: c, broker: b}, nil
}

// CounterRPCServer is served as "Plugin".
type CounterRPCServer struct {
	Impl   Counter
	broker *plugin.MuxBroker
}

func (s *CounterRPCServer) Put(args PutArgs, resp *struct{}) error {
	conn, err := s.broker.Dial(args.AddServer)
	if err != nil {
		return err
	}
	client := rpc.NewClient(conn)
	defer client.Close()
	return s.Impl.Put(args.Key, args.Value, &addHelperRPCClient{client: client})
}

func (s *CounterRPCServer) Get(key string, resp *int64) error {
	v, err := s.Impl.Get(key)
	*resp = v
	return err
}

type counterRPCClient struct {
	client *rpc.Client
	broker *plugin.MuxBroker
}

func (c *counterRPCClient) Put(key string, value int64, helper AddHelper) error {
	id := c.broker.NextId()
	go c.broker.AcceptAndServe(id, &AddHelperRPCServer{Impl: helper})
	return c.client.Call("Plugin.Put", PutArgs{AddServer: id, Key: key, Value: value}, &struct{}{})
}

func (c *counterRPCClient) Get(key string) (int64, error) {
	var resp int64
	err := c.client.Call("Plugin.Get", key, &resp)
	return resp, err
}

// AddHelperRPCServer serves the host's AddHelper as "Plugin" on a brokered stream.
type AddHelperRPCServer struct{ Impl AddHelper }

func (s *AddHelperRPCServer) Sum(args SumArgs, resp *int64) error {
	r, err := s.Impl.Sum(args.A, args.B)
	*resp = r
	return err
}

type addHelperRPCClient struct{ client *rpc.Client }

func (c *addHelperRPCClient) Sum(a, b int64) (int64, error) {
	var resp int64
	err := c.client.Call("Plugin.Sum", SumArgs{A: a, B: b}, &resp)
	return resp, err
}
