// exbench measures a go-plugin (v1.0.1) Go host against a kv plugin, the same way bench/grpc.bench.ts measures
// plugwire: exbench <grpc|netrpc> <runs> <plugin command> [args...]. Prints one JSON object on stdout.
// EXBENCH_AUTOMTLS=1 turns on AutoMTLS.
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

func launch(proto string, command []string) (*plugin.Client, exshared.KV, error) {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  exshared.Handshake,
		Plugins:          plugin.PluginSet{"kv": &exshared.KVPlugin{}},
		Cmd:              exec.Command(command[0], command[1:]...),
		AllowedProtocols: []plugin.Protocol{plugin.Protocol(proto)},
		Logger:           hclog.New(&hclog.LoggerOptions{Output: ioutil.Discard, Level: hclog.Error}),
		AutoMTLS:         os.Getenv("EXBENCH_AUTOMTLS") != "",
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, err
	}
	raw, err := rpc.Dispense("kv")
	if err != nil {
		client.Kill()
		return nil, nil, err
	}
	return client, raw.(exshared.KV), nil
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	proto := os.Args[1]
	runs, _ := strconv.Atoi(os.Args[2])
	command := os.Args[3:]

	// Launch → first call, median of runs.
	var launches []float64
	for i := 0; i < runs; i++ {
		start := time.Now()
		client, kv, err := launch(proto, command)
		must(err)
		_, err = kv.Get("missing")
		must(err)
		launches = append(launches, float64(time.Since(start).Microseconds())/1000)
		client.Kill()
	}
	sort.Float64s(launches)

	client, kv, err := launch(proto, command)
	must(err)
	defer client.Kill()
	must(kv.Put("small", make([]byte, 16)))

	// Latency of a 16-byte Get.
	const n = 2000
	warmup := 200
	if w, err := strconv.Atoi(os.Getenv("EXBENCH_WARMUP")); err == nil && w >= 0 {
		warmup = w
	}
	for i := 0; i < warmup; i++ {
		_, err := kv.Get("small")
		must(err)
	}
	lat := make([]float64, n)
	for i := range lat {
		start := time.Now()
		_, err := kv.Get("small")
		must(err)
		lat[i] = float64(time.Since(start).Nanoseconds()) / 1000
	}
	sort.Float64s(lat)

	// Calls per second with 16 in flight.
	const total = 20000
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < total/16; i++ {
				_, err := kv.Get("small")
				must(err)
			}
		}()
	}
	wg.Wait()
	cps := float64(total) / time.Since(start).Seconds()

	// 64 × 1 MiB Put.
	big := make([]byte, 1<<20)
	start = time.Now()
	for i := 0; i < 64; i++ {
		must(kv.Put("big", big))
	}
	putMs := float64(time.Since(start).Microseconds()) / 1000

	out, _ := json.Marshal(map[string]float64{
		"launchMs": launches[len(launches)/2], "p50us": lat[n/2], "p99us": lat[n*99/100], "callsPerSec": cps, "put64MiBms": putMs,
	})
	fmt.Println(string(out))
}
