// Package shared holds the netrpc kv and counter plugins of the interop tests, written the way go-plugin's
// netrpc examples write them: an RPC client and server per interface, and a plugin.Plugin joining them.
package shared

import (
	"net/rpc"

	plugin "github.com/hashicorp/go-plugin"
)

// Handshake is what the fixtures and the TypeScript tests agree on.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "PLUGWIRE_NETRPC_TEST",
	MagicCookieValue: "netrpc",
}

// KV stores bytes by key.
type KV interface {
	Put(key string, value []byte) error
	Get(key string) ([]byte, error)
}

// KVRPCClient calls a KV over net/rpc.
type KVRPCClient struct{ Client *rpc.Client }

func (m *KVRPCClient) Put(key string, value []byte) error {
	var resp interface{}
	return m.Client.Call("Plugin.Put", map[string]interface{}{"key": key, "value": value}, &resp)
}

func (m *KVRPCClient) Get(key string) ([]byte, error) {
	var resp []byte
	err := m.Client.Call("Plugin.Get", key, &resp)
	return resp, err
}

// KVRPCServer serves a KV over net/rpc.
type KVRPCServer struct{ Impl KV }

func (m *KVRPCServer) Put(args map[string]interface{}, resp *interface{}) error {
	return m.Impl.Put(args["key"].(string), args["value"].([]byte))
}

func (m *KVRPCServer) Get(key string, resp *[]byte) error {
	v, err := m.Impl.Get(key)
	*resp = v
	return err
}

// KVPlugin is the netrpc plugin definition of KV.
type KVPlugin struct{ Impl KV }

func (p *KVPlugin) Server(*plugin.MuxBroker) (interface{}, error) { return &KVRPCServer{Impl: p.Impl}, nil }
func (p *KVPlugin) Client(b *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &KVRPCClient{Client: c}, nil
}

// AddHelper is the host-side callback the counter plugin calls.
type AddHelper interface {
	Sum(a, b int64) (int64, error)
}

// Counter adds values to keys through the host's AddHelper.
type Counter interface {
	Put(key string, value int64, a AddHelper) error
	Get(key string) (int64, error)
}

type PutArgs struct {
	AddServer uint32
	Key       string
	Value     int64
}

type SumArgs struct{ A, B int64 }

// CounterRPCClient calls a Counter; Put serves the AddHelper on a brokered connection for the duration.
type CounterRPCClient struct {
	Broker *plugin.MuxBroker
	Client *rpc.Client
}

func (c *CounterRPCClient) Put(key string, value int64, a AddHelper) error {
	id := c.Broker.NextId()
	go c.Broker.AcceptAndServe(id, &AddHelperRPCServer{Impl: a})
	var resp interface{}
	return c.Client.Call("Plugin.Put", PutArgs{AddServer: id, Key: key, Value: value}, &resp)
}

func (c *CounterRPCClient) Get(key string) (int64, error) {
	var resp int64
	err := c.Client.Call("Plugin.Get", key, &resp)
	return resp, err
}

// CounterRPCServer serves a Counter; Put dials the caller's AddHelper.
type CounterRPCServer struct {
	Broker *plugin.MuxBroker
	Impl   Counter
}

func (s *CounterRPCServer) Put(args PutArgs, resp *interface{}) error {
	conn, err := s.Broker.Dial(args.AddServer)
	if err != nil {
		return err
	}
	client := rpc.NewClient(conn)
	defer client.Close()
	return s.Impl.Put(args.Key, args.Value, &AddHelperRPCClient{Client: client})
}

func (s *CounterRPCServer) Get(key string, resp *int64) error {
	v, err := s.Impl.Get(key)
	*resp = v
	return err
}

type AddHelperRPCClient struct{ Client *rpc.Client }

func (a *AddHelperRPCClient) Sum(x, y int64) (int64, error) {
	var resp int64
	err := a.Client.Call("Plugin.Sum", SumArgs{A: x, B: y}, &resp)
	return resp, err
}

type AddHelperRPCServer struct{ Impl AddHelper }

func (a *AddHelperRPCServer) Sum(args SumArgs, resp *int64) error {
	v, err := a.Impl.Sum(args.A, args.B)
	*resp = v
	return err
}

// CounterPlugin is the netrpc plugin definition of Counter.
type CounterPlugin struct{ Impl Counter }

func (p *CounterPlugin) Server(b *plugin.MuxBroker) (interface{}, error) {
	return &CounterRPCServer{Broker: b, Impl: p.Impl}, nil
}
func (p *CounterPlugin) Client(b *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &CounterRPCClient{Broker: b, Client: c}, nil
}

// Plugins is the plugin set of the fixtures.
func Plugins(kv KV, counter Counter) map[string]plugin.Plugin {
	return map[string]plugin.Plugin{
		"kv":      &KVPlugin{Impl: kv},
		"counter": &CounterPlugin{Impl: counter},
		"grpconly": &plugin.NetRPCUnsupportedPlugin{},
	}
}
