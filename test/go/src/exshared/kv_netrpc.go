package exshared

import (
	"net/rpc"

	plugin "github.com/hashicorp/go-plugin"
)

// net/rpc shapes of go-plugin's kv example: Put takes map[string]interface{}{"key": string, "value": []byte},
// Get takes the key and replies []byte.

func (p *KVPlugin) Server(*plugin.MuxBroker) (interface{}, error) { return &KVRPCServer{Impl: p.Impl}, nil }

func (p *KVPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &kvRPCClient{client: c}, nil
}

// KVRPCServer is served as "Plugin".
type KVRPCServer struct{ Impl KV }

func (s *KVRPCServer) Put(args map[string]interface{}, resp *interface{}) error {
	key, _ := args["key"].(string)
	value, _ := args["value"].([]byte)
	return s.Impl.Put(key, value)
}

func (s *KVRPCServer) Get(key string, resp *[]byte) error {
	v, err := s.Impl.Get(key)
	*resp = v
	return err
}

type kvRPCClient struct{ client *rpc.Client }

func (c *kvRPCClient) Put(key string, value []byte) error {
	var resp interface{}
	return c.client.Call("Plugin.Put", map[string]interface{}{"key": key, "value": value}, &resp)
}

func (c *kvRPCClient) Get(key string) ([]byte, error) {
	var resp []byte
	err := c.client.Call("Plugin.Get", key, &resp)
	return resp, err
}
