// Command gogo measures Go's hashicorp/yamux alone (the Go -> Go row of the yamux benchmark): a client and a
// server session in one process over a unix socket, one stream carrying -size bytes in 64 KiB writes. Prints the
// nanoseconds from open to the reader's EOF.
package main

import (
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/yamux"
)

func main() {
	size := flag.Int64("size", 64<<20, "bytes to send")
	flag.Parse()
	dir, err := ioutil.TempDir("", "gogo")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		log.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		accepted <- c
	}()
	cc, err := net.Dial("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		log.Fatal(err)
	}
	sc := <-accepted
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = ioutil.Discard
	client, _ := yamux.Client(cc, cfg)
	server, _ := yamux.Server(sc, cfg)
	done := make(chan int64, 1)
	go func() {
		s, err := server.AcceptStream()
		if err != nil {
			log.Fatal(err)
		}
		n, _ := io.Copy(ioutil.Discard, s)
		done <- n
	}()
	buf := make([]byte, 64*1024)
	start := time.Now()
	s, err := client.OpenStream()
	if err != nil {
		log.Fatal(err)
	}
	for sent := int64(0); sent < *size; sent += int64(len(buf)) {
		if _, err := s.Write(buf); err != nil {
			log.Fatal(err)
		}
	}
	s.Close()
	n := <-done
	elapsed := time.Since(start)
	if n != *size {
		log.Fatalf("got %d bytes, want %d", n, *size)
	}
	fmt.Println(elapsed.Nanoseconds())
}
