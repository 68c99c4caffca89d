// Package exshared holds the Go side of plugwire's example plugins (go-plugin's kv and bidirectional counter
// examples), for the interop tests: the same protos and net/rpc shapes as the TypeScript examples.
package exshared

import (
	"context"
	"fmt"
	"os"

	"exproto/kv"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Handshake is the examples' cookie and version.
var Handshake = plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"}

// KV is the interface the kv plugin implements.
type KV interface {
	Put(key string, value []byte) error
	Get(key string) ([]byte, error)
}

// MemoryKV keeps values in memory.
type MemoryKV struct{ data map[string][]byte }

// NewMemoryKV returns an empty MemoryKV.
func NewMemoryKV() *MemoryKV { return &MemoryKV{data: map[string][]byte{}} }

// Put stores value; the key "print" instead writes the value to stdout and stderr (to test stdio syncing).
func (m *MemoryKV) Put(key string, value []byte) error {
	if key == "print" {
		fmt.Printf("stdout: %s\n", value)
		fmt.Fprintf(os.Stderr, "stderr: %s\n", value)
		return nil
	}
	m.data[key] = value
	return nil
}
func (m *MemoryKV) Get(key string) ([]byte, error)     { return m.data[key], nil }

// KVPlugin serves and dispenses KV over both protocols.
type KVPlugin struct{ Impl KV }

func (p *KVPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	kv.RegisterKVServer(s, &kvGRPCServer{impl: p.Impl})
	return nil
}

func (p *KVPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &kvGRPCClient{client: kv.NewKVClient(c)}, nil
}

type kvGRPCServer struct{ impl KV }

func (s *kvGRPCServer) Get(_ context.Context, req *kv.GetRequest) (*kv.GetResponse, error) {
	v, err := s.impl.Get(req.Key)
	return &kv.GetResponse{Value: v}, err
}

func (s *kvGRPCServer) Put(_ context.Context, req *kv.PutRequest) (*kv.Empty, error) {
	return &kv.Empty{}, s.impl.Put(req.Key, req.Value)
}

type kvGRPCClient struct{ client kv.KVClient }

func (c *kvGRPCClient) Put(key string, value []byte) error {
	_, err := c.client.Put(context.Background(), &kv.PutRequest{Key: key, Value: value})
	return err
}

func (c *kvGRPCClient) Get(key string) ([]byte, error) {
	resp, err := c.client.Get(context.Background(), &kv.GetRequest{Key: key})
	if err != nil {
		return nil, err
	}
	return resp.Value, nil
}
