// Command plugin-go is a go-plugin v1.0.1 netrpc plugin serving kv and counter. Put of key "print" writes to the
// plugin's stdout and stderr (synced to the host over streams 3 and 5).
package main

import (
	"errors"
	"fmt"
	"os"
	"sync"

	plugin "github.com/hashicorp/go-plugin"

	"netrpcfix/shared"
)

type kv struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (k *kv) Put(key string, value []byte) error {
	if key == "print" {
		fmt.Fprintf(os.Stdout, "stdout: %s\n", value)
		fmt.Fprintf(os.Stderr, "stderr: %s\n", value)
	}
	if key == "fail" {
		return errors.New("kv: refusing key fail")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = value
	return nil
}

func (k *kv) Get(key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return nil, fmt.Errorf("kv: no key %q", key)
	}
	return v, nil
}

type counter struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counter) Put(key string, value int64, a shared.AddHelper) error {
	c.mu.Lock()
	old := c.m[key]
	c.mu.Unlock()
	sum, err := a.Sum(old, value)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.m[key] = sum
	c.mu.Unlock()
	return nil
}

func (c *counter) Get(key string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], nil
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.Handshake,
		Plugins:         shared.Plugins(&kv{m: map[string][]byte{}}, &counter{m: map[string]int64{}}),
	})
}
