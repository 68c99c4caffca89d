// Command h2bench is the Go side of bench/h2.bench.ts: a go-plugin (v1.0.1) gRPC host that launches a kv plugin
// (h2bench <plugin command> [args...]) and measures a 16-byte Get: p50, p99 and p999 of sequential calls, and calls/s
// with 16 and 64 calls in flight. Prints one JSON object on stdout.
package main

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"time"

	"exshared"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func callsPerSec(kv exshared.KV, inflight, total int) float64 {
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < inflight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < total/inflight; i++ {
				_, err := kv.Get("small")
				must(err)
			}
		}()
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds()
}

func main() {
	command := os.Args[1:]
	// H2BENCH_PROTOCOL=netrpc measures the same calls over netrpc (bench/tails.bench.ts); gRPC by default.
	protocol := plugin.ProtocolGRPC
	if os.Getenv("H2BENCH_PROTOCOL") == "netrpc" {
		protocol = plugin.ProtocolNetRPC
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  exshared.Handshake,
		Plugins:          plugin.PluginSet{"kv": &exshared.KVPlugin{}},
		Cmd:              exec.Command(command[0], command[1:]...),
		AllowedProtocols: []plugin.Protocol{protocol},
		Logger:           hclog.New(&hclog.LoggerOptions{Output: ioutil.Discard, Level: hclog.Error}),
	})
	defer client.Kill()
	rpc, err := client.Client()
	must(err)
	raw, err := rpc.Dispense("kv")
	must(err)
	kv := raw.(exshared.KV)
	must(kv.Put("small", make([]byte, 16)))
	warmup := 500
	if w, err := strconv.Atoi(os.Getenv("H2BENCH_WARMUP")); err == nil && w >= 0 {
		warmup = w
	}
	for i := 0; i < warmup; i++ {
		_, err := kv.Get("small")
		must(err)
	}
	const n = 3000
	lat := make([]float64, n)
	for i := range lat {
		start := time.Now()
		_, err := kv.Get("small")
		must(err)
		lat[i] = float64(time.Since(start).Nanoseconds()) / 1000
	}
	sort.Float64s(lat)
	c16 := callsPerSec(kv, 16, 32000)
	c64 := callsPerSec(kv, 64, 32000)
	out, _ := json.Marshal(map[string]float64{"p50us": lat[n/2], "p99us": lat[n*99/100], "p999us": lat[n*999/1000], "cps16": c16, "cps64": c64})
	fmt.Println(string(out))
}
