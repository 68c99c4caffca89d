// exhost is a Go go-plugin (v1.8) host for the interop tests, the v1.8 twin of test/go/src/exhost:
//
//	exhost <kv|counter> <grpc|netrpc> <plugin command> [args...]
//	exhost <kv|counter> <grpc|netrpc> reattach   (EXHOST_REATTACH holds the plugin's reattach JSON)
//
// It launches (or reattaches to) the plugin, dispenses, exercises it, kills it, and prints one JSON line per step
// on stdout. Its go-plugin logger writes hclog JSON at debug to stderr. Environment:
//
//	EXHOST_AUTOMTLS=1       AutoMTLS: true (PLUGIN_CLIENT_CERT, mutual TLS pinned to the plugin's printed certificate)
//	EXHOST_VERSIONS=2,3     offer only those protocol versions;   EXHOST_COOKIE=x   another cookie value
//	EXHOST_PRINT=1          kv.Put("print", "hello"): the plugin prints "stdout: hello"/"stderr: hello", which
//	                        GRPCStdio (or netrpc's stdio streams) brings to this host's stdout/stderr
//	EXHOST_MULTIPLEX=1      GRPCBrokerMultiplex: true (PLUGIN_MULTIPLEX_GRPC, knock mode over the main connection)
//	EXHOST_SKIPHOSTENV=1    SkipHostEnv: true (the plugin gets only go-plugin's variables)
//	EXHOST_SOCKET_GROUP=g   UnixSocketConfig.Group (PLUGIN_UNIX_SOCKET_GROUP)
//	EXHOST_SOCKET_TEMPDIR=d UnixSocketConfig.TempDir
//	EXHOST_RUNNER=1         launch through ClientConfig.RunnerFunc: go-plugin then makes a socket directory (in
//	                        TempDir) and passes it as PLUGIN_UNIX_SOCKET_DIR; "started" adds "socketDir"
//	EXHOST_HOLD=1           after "started", print {"step":"reattach",...} with the plugin's reattach config and
//	                        wait for stdin to close before going on (so another process can reattach meanwhile)
//	EXHOST_GETENV=NAME      kv.Get("env:NAME") and print {"step":"env","value":...} (plugins answering env: keys)
//	EXHOST_REATTACH={...}   reattach to {"protocol","protocolVersion","network","address","pid","test"} instead
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"exshared"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
)

type helper struct{ calls int }

// socketDir is the PLUGIN_UNIX_SOCKET_DIR go-plugin made for a RunnerFunc launch.
var socketDir string

func lookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

func (h *helper) Sum(a, b int64) (int64, error) { h.calls++; return a + b, nil }

func emit(fields map[string]interface{}) {
	b, _ := json.Marshal(fields)
	fmt.Println(string(b))
}

func fail(step string, err error) {
	emit(map[string]interface{}{"step": step, "error": err.Error()})
	os.Exit(1)
}

type reattachJSON struct {
	Protocol        string `json:"protocol"`
	ProtocolVersion int    `json:"protocolVersion"`
	Network         string `json:"network"`
	Address         string `json:"address"`
	Pid             int    `json:"pid"`
	Test            bool   `json:"test"`
}

func reattachConfig(raw string) *plugin.ReattachConfig {
	var r reattachJSON
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		fail("reattach", err)
	}
	var addr net.Addr
	var err error
	if r.Network == "unix" {
		addr, err = net.ResolveUnixAddr("unix", r.Address)
	} else {
		addr, err = net.ResolveTCPAddr("tcp", r.Address)
	}
	if err != nil {
		fail("reattach", err)
	}
	return &plugin.ReattachConfig{Protocol: plugin.Protocol(r.Protocol), ProtocolVersion: r.ProtocolVersion, Addr: addr, Pid: r.Pid, Test: r.Test}
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
		HandshakeConfig:     exshared.Handshake,
		AllowedProtocols:    []plugin.Protocol{plugin.Protocol(proto)},
		Logger:              logger,
		SyncStdout:          os.Stdout,
		SyncStderr:          os.Stderr,
		GRPCBrokerMultiplex: os.Getenv("EXHOST_MULTIPLEX") != "",
		SkipHostEnv:         os.Getenv("EXHOST_SKIPHOSTENV") != "",
	}
	config.AutoMTLS = os.Getenv("EXHOST_AUTOMTLS") != ""
	if raw := os.Getenv("EXHOST_REATTACH"); raw != "" {
		config.Reattach = reattachConfig(raw)
	} else if os.Getenv("EXHOST_RUNNER") != "" {
		config.RunnerFunc = func(_ hclog.Logger, cmd *exec.Cmd, tmpDir string) (runner.Runner, error) {
			socketDir = tmpDir
			cmd.Path, cmd.Args = lookPath(command[0]), command
			return newCmdRunner(cmd)
		}
	} else {
		config.Cmd = exec.Command(command[0], command[1:]...)
	}
	if g, d := os.Getenv("EXHOST_SOCKET_GROUP"), os.Getenv("EXHOST_SOCKET_TEMPDIR"); g != "" || d != "" {
		config.UnixSocketConfig = &plugin.UnixSocketConfig{Group: g, TempDir: d}
	}
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
		"protocol": string(client.Protocol()), "version": client.NegotiatedVersion(), "socketDir": socketDir})
	if os.Getenv("EXHOST_HOLD") != "" {
		rc := client.ReattachConfig()
		// go-plugin's ReattachConfig() leaves ProtocolVersion 0 for a launched plugin; the negotiated one is what a
		// reattaching host needs.
		emit(map[string]interface{}{"step": "reattach", "protocol": string(rc.Protocol), "protocolVersion": client.NegotiatedVersion(),
			"network": rc.Addr.Network(), "address": rc.Addr.String(), "pid": rc.Pid})
		scanner := bufio.NewScanner(os.Stdin)
		for scanner.Scan() {
		}
	}
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
		if name := os.Getenv("EXHOST_GETENV"); name != "" {
			got, err := kv.Get("env:" + name)
			if err != nil {
				fail("env", err)
			}
			emit(map[string]interface{}{"step": "env", "value": string(got)})
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
