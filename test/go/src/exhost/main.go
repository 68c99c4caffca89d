// exhost is a Go go-plugin (v1.0.1) host for the interop tests:
//
//	exhost <kv|counter> <grpc|netrpc> <plugin command> [args...]
//
// It launches the plugin, dispenses, exercises it, kills it, and prints one JSON line per step on stdout.
// Its go-plugin logger writes hclog JSON at debug to stderr (where "plugin process exited" tells the exit status).
// EXHOST_AUTOMTLS=1 sets AutoMTLS: true. EXHOST_VERSIONS (e.g. "2,3") makes it offer only those protocol versions, and EXHOST_COOKIE sets another
// cookie value, for the mismatch tests. EXHOST_PRINT=1 makes kv.Put("print", "hello"), after which a plugin that
// syncs stdio has its "stdout: hello" on this host's stdout and "stderr: hello" on its stderr.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"exshared"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

type helper struct{ calls int }

func (h *helper) Sum(a, b int64) (int64, error) { h.calls++; return a + b, nil }

func emit(fields map[string]interface{}) {
	b, _ := json.Marshal(fields)
	fmt.Println(string(b))
}

func fail(step string, err error) {
	emit(map[string]interface{}{"step": step, "error": err.Error()})
	os.Exit(1)
}

func main() {
	example, proto, command := os.Args[1], os.Args[2], os.Args[3:]
	logger := hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Debug, Output: os.Stderr, JSONFormat: true})
	var plugins plugin.PluginSet
	if example == "kv" {
		plugins = plugin.PluginSet{"kv": &exshared.KVPlugin{}}
	} else {
		plugins = plugin.PluginSet{"counter": &exshared.CounterPlugin{}}
	}
	config := &plugin.ClientConfig{
		HandshakeConfig:  exshared.Handshake,
		Cmd:              exec.Command(command[0], command[1:]...),
		AllowedProtocols: []plugin.Protocol{plugin.Protocol(proto)},
		Logger:           logger,
		SyncStdout:       os.Stdout,
		SyncStderr:       os.Stderr,
	}
	config.AutoMTLS = os.Getenv("EXHOST_AUTOMTLS") != ""
	if v := os.Getenv("EXHOST_VERSIONS"); v != "" {
		config.VersionedPlugins = map[int]plugin.PluginSet{}
		for _, s := range strings.Split(v, ",") {
			n, _ := strconv.Atoi(s)
			config.VersionedPlugins[n] = plugins
		}
	} else {
		config.Plugins = plugins
	}
	if cookie := os.Getenv("EXHOST_COOKIE"); cookie != "" {
		config.HandshakeConfig.MagicCookieValue = cookie
	}
	client := plugin.NewClient(config)
	defer client.Kill()

	addr, err := client.Start()
	if err != nil {
		fail("start", err)
	}
	emit(map[string]interface{}{"step": "started", "network": addr.Network(), "address": addr.String(),
		"protocol": string(client.Protocol()), "version": client.NegotiatedVersion()})
	rpcClient, err := client.Client()
	if err != nil {
		fail("client", err)
	}
	if err := rpcClient.Ping(); err != nil {
		fail("ping", err)
	}
	emit(map[string]interface{}{"step": "ping"})
	raw, err := rpcClient.Dispense(example)
	if err != nil {
		fail("dispense", err)
	}
	if example == "kv" {
		kv := raw.(exshared.KV)
		for _, size := range []int{0, 1024, 4 << 20} {
			value := bytes.Repeat([]byte{'x'}, size)
			for i := range value {
				value[i] = byte(i * 7)
			}
			key := fmt.Sprintf("k%d", size)
			if err := kv.Put(key, value); err != nil {
				fail("put", err)
			}
			got, err := kv.Get(key)
			if err != nil {
				fail("get", err)
			}
			sum := sha256.Sum256(got)
			emit(map[string]interface{}{"step": "putget", "size": size, "len": len(got), "same": bytes.Equal(got, value),
				"sha256": hex.EncodeToString(sum[:])})
		}
		if os.Getenv("EXHOST_PRINT") != "" {
			if err := kv.Put("print", []byte("hello")); err != nil {
				fail("print", err)
			}
			emit(map[string]interface{}{"step": "printed"})
		}
	} else {
		counter := raw.(exshared.Counter)
		h := &helper{}
		for _, v := range []int64{2, 40} {
			if err := counter.Put("visits", v, h); err != nil {
				fail("put", err)
			}
		}
		got, err := counter.Get("visits")
		if err != nil {
			fail("get", err)
		}
		emit(map[string]interface{}{"step": "counter", "value": got, "helperCalls": h.calls})
	}
	client.Kill()
	emit(map[string]interface{}{"step": "killed", "exited": client.Exited()})
}
