// explugin is a Go go-plugin (v1.8) plugin serving the kv and counter examples over gRPC or netrpc:
// explugin <kv|counter> <grpc|netrpc>. It logs one hclog line; kv.Put("print", v) writes to stdout/stderr (which
// v1.8 syncs to the host over GRPCStdio too), and kv.Get("env:NAME") returns $NAME or "<unset>" (for SkipHostEnv).
package main

import (
	"fmt"
	"os"
	"strings"

	"exshared"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: explugin <kv|counter> <grpc|netrpc>")
		os.Exit(2)
	}
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: os.Stderr, JSONFormat: true})
	var plugins plugin.PluginSet
	switch os.Args[1] {
	case "kv":
		plugins = plugin.PluginSet{"kv": &exshared.KVPlugin{Impl: envKV{exshared.NewMemoryKV()}}}
	case "counter":
		plugins = plugin.PluginSet{"counter": &exshared.CounterPlugin{Impl: exshared.NewMemoryCounter()}}
	}
	config := &plugin.ServeConfig{HandshakeConfig: exshared.Handshake, Plugins: plugins, Logger: logger}
	if os.Args[2] == "grpc" {
		// Like the TS plugins, accept 4 MiB payloads (grpc-go's default limit is 4 MiB including framing).
		config.GRPCServer = func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(64<<20))...)
		}
	}
	logger.Warn("go plugin starting", "example", os.Args[1])
	plugin.Serve(config)
}

// envKV answers Get("env:NAME") from the plugin's environment.
type envKV struct{ *exshared.MemoryKV }

func (e envKV) Get(key string) ([]byte, error) {
	if strings.HasPrefix(key, "env:") {
		if v, ok := os.LookupEnv(strings.TrimPrefix(key, "env:")); ok {
			return []byte(v), nil
		}
		return []byte("<unset>"), nil
	}
	return e.MemoryKV.Get(key)
}
