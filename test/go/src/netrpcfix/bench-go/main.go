// Command bench-go measures go-plugin v1.0.1 netrpc Go host → Go plugin (the plugin binary given as argument):
// p50/p99 of a 16-byte Get, Gets per second with 16 in flight, and 64 × 1 MiB Put. Prints JSON.
package main

import (
	"encoding/json"
	"io/ioutil"
	"log"
	"os"
	"os/exec"
	"sort"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"netrpcfix/shared"
)

func main() {
	log.SetOutput(ioutil.Discard)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: shared.Handshake,
		Plugins:         shared.Plugins(nil, nil),
		Cmd:             exec.Command(os.Args[1]),
		Logger:          hclog.New(&hclog.LoggerOptions{Output: ioutil.Discard}),
	})
	defer client.Kill()
	rpcClient, err := client.Client()
	if err != nil {
		panic(err)
	}
	raw, err := rpcClient.Dispense("kv")
	if err != nil {
		panic(err)
	}
	kv := raw.(shared.KV)
	if err := kv.Put("k16", []byte("0123456789abcdef")); err != nil {
		panic(err)
	}
	const n = 3000
	lat := make([]time.Duration, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := kv.Get("k16"); err != nil {
			panic(err)
		}
		lat[i] = time.Since(start)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })

	const perWorker = 2000
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				if _, err := kv.Get("k16"); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	cps := float64(16*perWorker) / time.Since(start).Seconds()

	big := make([]byte, 1<<20)
	start = time.Now()
	for i := 0; i < 64; i++ {
		if err := kv.Put("big", big); err != nil {
			panic(err)
		}
	}
	putSecs := time.Since(start).Seconds()
	json.NewEncoder(os.Stdout).Encode(map[string]float64{
		"p50_us":      float64(lat[n/2].Microseconds()),
		"p99_us":      float64(lat[n*99/100].Microseconds()),
		"calls_per_s": cps,
		"put_mib_s":   64 / putSecs,
	})
}
