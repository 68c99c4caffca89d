// Command host-go is a go-plugin v1.0.1 host at the transport level: it dials the unix socket given as its
// argument, wraps it with plugin.NewRPCClient and exercises Ping, Dispense, kv, counter (with the AddHelper
// callback served by this host through the MuxBroker), synced stdout/stderr and Close. It prints a JSON report.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	plugin "github.com/hashicorp/go-plugin"

	"netrpcfix/shared"
)

type adder struct{ calls int }

func (a *adder) Sum(x, y int64) (int64, error) {
	a.calls++
	return x + y, nil
}

func firstLine(r io.Reader) string {
	ch := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		ch <- line
	}()
	select {
	case l := <-ch:
		return l
	case <-time.After(10 * time.Second):
		return "timeout"
	}
}

func main() {
	out := map[string]interface{}{}
	conn, err := net.Dial("unix", os.Args[1])
	if err != nil {
		panic(err)
	}
	client, err := plugin.NewRPCClient(conn, shared.Plugins(nil, nil))
	if err != nil {
		panic(err)
	}
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	client.SyncStreams(outW, errW)
	out["stdout"] = firstLine(outR)
	out["stderr"] = firstLine(errR)
	out["ping"] = fmt.Sprint(client.Ping())

	raw, err := client.Dispense("kv")
	out["dispenseKV"] = fmt.Sprint(err)
	if err == nil {
		kv := raw.(shared.KV)
		out["put"] = fmt.Sprint(kv.Put("hello", []byte("world")))
		v, err := kv.Get("hello")
		out["get"] = fmt.Sprintf("%q %v", v, err)
		_, err = kv.Get("missing")
		out["getMissing"] = fmt.Sprint(err)
	}
	raw, err = client.Dispense("counter")
	out["dispenseCounter"] = fmt.Sprint(err)
	if err == nil {
		c := raw.(shared.Counter)
		a := &adder{}
		out["counterPut1"] = fmt.Sprint(c.Put("n", 40, a))
		out["counterPut2"] = fmt.Sprint(c.Put("n", 2, a))
		v, err := c.Get("n")
		out["counterGet"] = fmt.Sprintf("%d %v", v, err)
		out["sumCalls"] = a.calls
	}
	_, err = client.Dispense("nope")
	out["dispenseUnknown"] = fmt.Sprint(err)
	_, err = client.Dispense("grpconly")
	out["dispenseGrpcOnly"] = fmt.Sprint(err)
	out["close"] = fmt.Sprint(client.Close())
	json.NewEncoder(os.Stdout).Encode(out)
}
