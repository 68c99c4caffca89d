// Command brokerhost is go-plugin v1.0.1's host side for the broker interop tests: plugin.NewRPCClient on a unix
// connection (go-plugin is the yamux client there, the test the plugin). Dispensing the plugin "broker" makes
// go-plugin dial broker id 1 and hand its own MuxBroker to this program's plugin Client(); commands on stdin then
// drive that MuxBroker, as in the command broker:
//
//	accept        -> NextId + Accept in the background; prints "accepting <id>", then "accepted <id>" or "accept-error <id> <err>"
//	dial <id>     -> Dial; prints "dialed <id>" or "dial-error <id> <err>"
//
// The first stdout line is the gob encoding (Go's encoding/gob, as net/rpc's server writes it) of the reply to
// Dispenser.Dispense: broker id 1, which the test sends on the control stream.
package main

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/rpc"
	"os"
	"strconv"
	"strings"
	"sync"

	plugin "github.com/hashicorp/go-plugin"
)

type capture struct{ ch chan *plugin.MuxBroker }

func (c *capture) Server(*plugin.MuxBroker) (interface{}, error) { return nil, nil }

func (c *capture) Client(b *plugin.MuxBroker, _ *rpc.Client) (interface{}, error) {
	select {
	case c.ch <- b:
	default:
	}
	return struct{}{}, nil
}

var out sync.Mutex

func say(format string, args ...interface{}) {
	out.Lock()
	defer out.Unlock()
	fmt.Printf(format+"\n", args...)
}

func echo(c net.Conn) {
	io.Copy(c, c)
	c.Close()
}

func main() {
	sock := flag.String("sock", "", "unix socket to dial")
	flag.Parse()
	log.SetOutput(os.Stderr)

	var resp bytes.Buffer
	enc := gob.NewEncoder(&resp)
	if err := enc.Encode(&rpc.Response{ServiceMethod: "Dispenser.Dispense", Seq: 0}); err != nil {
		log.Fatal(err)
	}
	if err := enc.Encode(uint32(1)); err != nil {
		log.Fatal(err)
	}
	say("reply %x", resp.Bytes())

	conn, err := net.Dial("unix", *sock)
	if err != nil {
		log.Fatal(err)
	}
	brokers := make(chan *plugin.MuxBroker, 1)
	client, err := plugin.NewRPCClient(conn, map[string]plugin.Plugin{"broker": &capture{ch: brokers}})
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if _, err := client.Dispense("broker"); err != nil {
			say("dispense-error %v", err)
		}
	}()
	b := <-brokers
	say("ready")

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "accept":
			id := b.NextId()
			say("accepting %d", id)
			go func() {
				c, err := b.Accept(id)
				if err != nil {
					say("accept-error %d %v", id, err)
					return
				}
				say("accepted %d", id)
				echo(c)
			}()
		case "dial":
			n, _ := strconv.ParseUint(f[1], 10, 32)
			id := uint32(n)
			go func() {
				c, err := b.Dial(id)
				if err != nil {
					say("dial-error %d %v", id, err)
					return
				}
				say("dialed %d", id)
				echo(c)
			}()
		}
	}
}
