// Command rpcpeer is a plain Go net/rpc peer on a unix socket: "server <path>" serves the Plugin service below,
// "client <path>" calls a plugwire server's Plugin service and prints what it got as JSON.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"sync"
	"time"
)

type Pair struct {
	Key   string
	Value []byte
	N     int64
}

type Plugin struct{}

func (Plugin) Echo(args Pair, reply *Pair) error {
	*reply = args
	return nil
}

func (Plugin) Fail(args string, reply *string) error {
	return errors.New("boom: " + args)
}

func (Plugin) Sleep(ms int, reply *int) error {
	time.Sleep(time.Duration(ms) * time.Millisecond)
	*reply = ms
	return nil
}

func (Plugin) Put(args map[string]interface{}, reply *struct{}) error {
	if _, ok := args["key"].(string); !ok {
		return fmt.Errorf("key is %T, want string", args["key"])
	}
	if _, ok := args["value"].([]byte); !ok {
		return fmt.Errorf("value is %T, want []byte", args["value"])
	}
	return nil
}

func main() {
	path := os.Args[2]
	switch os.Args[1] {
	case "server":
		srv := rpc.NewServer()
		if err := srv.RegisterName("Plugin", Plugin{}); err != nil {
			panic(err)
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			panic(err)
		}
		fmt.Println("ready")
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go srv.ServeConn(c)
		}
	case "client":
		c, err := rpc.Dial("unix", path)
		if err != nil {
			panic(err)
		}
		out := map[string]interface{}{}
		var echo Pair
		err = c.Call("Plugin.Echo", Pair{Key: "k", Value: []byte("v"), N: -(1 << 60)}, &echo)
		out["echo"] = fmt.Sprintf("%v %q %q %d", err, echo.Key, echo.Value, echo.N)
		var s string
		err = c.Call("Plugin.Fail", "x", &s)
		out["fail"] = fmt.Sprintf("%T %v", err, err)
		err = c.Call("Plugin.Nope", "x", &s)
		out["nope"] = fmt.Sprintf("%v", err)
		var wg sync.WaitGroup
		sums := make([]int, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var r int
				if err := c.Call("Plugin.Double", i, &r); err == nil {
					sums[i] = r
				}
			}(i)
		}
		wg.Wait()
		out["doubles"] = sums
		var empty struct{}
		err = c.Call("Plugin.Put", map[string]interface{}{"key": "k", "value": []byte("v")}, &empty)
		out["put"] = fmt.Sprintf("%v", err)
		json.NewEncoder(os.Stdout).Encode(out)
		c.Close()
	}
}
