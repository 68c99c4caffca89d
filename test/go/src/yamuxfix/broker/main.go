// Command broker runs go-plugin v1.0.1's real RPCServer.ServeConn on a unix connection (go-plugin is the yamux
// server there). Its one plugin, "broker", hands go-plugin's own MuxBroker to this program when the test
// dispenses it; commands on stdin then drive that MuxBroker:
//
//	accept        -> NextId + Accept in the background; prints "accepting <id>", then "accepted <id>" or "accept-error <id> <err>"
//	dial <id>     -> Dial; prints "dialed <id>" or "dial-error <id> <err>"
//
// Brokered streams echo what they receive until EOF. The first stdout line is the gob encoding (by Go's own
// encoding/gob, as net/rpc's client writes it) of the request Dispenser.Dispense("broker"), which the test sends
// on the control stream.
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

// Echo is the net/rpc service go-plugin serves for the dispensed plugin (unused by the tests).
type Echo struct{}

// Say returns its argument.
func (Echo) Say(in string, out *string) error { *out = in; return nil }

func (c *capture) Server(b *plugin.MuxBroker) (interface{}, error) {
	select {
	case c.ch <- b:
	default:
	}
	return Echo{}, nil
}

func (c *capture) Client(*plugin.MuxBroker, *rpc.Client) (interface{}, error) { return nil, nil }

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

	var req bytes.Buffer
	enc := gob.NewEncoder(&req)
	if err := enc.Encode(&rpc.Request{ServiceMethod: "Dispenser.Dispense", Seq: 1}); err != nil {
		log.Fatal(err)
	}
	if err := enc.Encode("broker"); err != nil {
		log.Fatal(err)
	}
	say("dispense %x", req.Bytes())

	conn, err := net.Dial("unix", *sock)
	if err != nil {
		log.Fatal(err)
	}
	brokers := make(chan *plugin.MuxBroker, 1)
	stdoutR, _ := io.Pipe()
	stderrR, _ := io.Pipe()
	srv := &plugin.RPCServer{
		Plugins: map[string]plugin.Plugin{"broker": &capture{ch: brokers}},
		Stdout:  stdoutR,
		Stderr:  stderrR,
	}
	go func() {
		srv.ServeConn(conn)
		say("served")
		os.Exit(0)
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
