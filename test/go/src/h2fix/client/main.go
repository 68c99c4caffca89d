// Command client is a grpc-go (1.33, as go-plugin v1.0.1 uses) client of the raw-bytes test service h2test.Test,
// for @plugwire/h2's server interop tests (packages/h2/test/go-client.test.ts): it dials 127.0.0.1:<port> (the
// first argument), runs every check against a server that acts like packages/h2/test/server-service.ts, and prints
// one line per check: "ok <name>" or "FAIL <name>: <why>". It exits 1 when a check failed.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "raw" }

var conn *grpc.ClientConn

func unary(ctx context.Context, method string, req []byte, opts ...grpc.CallOption) ([]byte, error) {
	var res []byte
	err := conn.Invoke(ctx, "/h2test.Test/"+method, &req, &res, opts...)
	return res, err
}

func expectCode(err error, code codes.Code, msg string) error {
	s, _ := status.FromError(err)
	if s.Code() != code {
		return fmt.Errorf("got status %v (%q), want %v", s.Code(), s.Message(), code)
	}
	if msg != "" && s.Message() != msg {
		return fmt.Errorf("got message %q, want %q", s.Message(), msg)
	}
	return nil
}

func stream(ctx context.Context, method string, server, client bool) (grpc.ClientStream, error) {
	return conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: server, ClientStreams: client}, "/h2test.Test/"+method)
}

var checks = []struct {
	name string
	run  func() error
}{
	{"unary with metadata, -bin, headers and trailers", func() error {
		bin := []byte{0, 1, 2, 250, 255}
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-echo", "abc", "x-data-bin", string(bin))
		var header, trailer metadata.MD
		res, err := unary(ctx, "Unary", []byte("hello"), grpc.Header(&header), grpc.Trailer(&trailer))
		if err != nil {
			return err
		}
		if string(res) != "hello" {
			return fmt.Errorf("response %q", res)
		}
		if v := header.Get("x-echo"); len(v) != 1 || v[0] != "abc" {
			return fmt.Errorf("header x-echo %v", v)
		}
		if v := header.Get("x-data-bin"); len(v) != 1 || !bytes.Equal([]byte(v[0]), bin) {
			return fmt.Errorf("header x-data-bin %v", v)
		}
		if v := trailer.Get("x-trailer"); len(v) != 1 || v[0] != "abc" {
			return fmt.Errorf("trailer x-trailer %v", v)
		}
		return nil
	}},
	{"200 concurrent unary calls", func() error {
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				want := fmt.Sprintf("m%d", i)
				res, err := unary(context.Background(), "Unary", []byte(want))
				if err == nil && string(res) != want {
					err = fmt.Errorf("got %q want %q", res, want)
				}
				errs <- err
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}},
	{"error status with a percent-encoded message", func() error {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-status", "5", "x-message", "no such key: 100%")
		_, err := unary(ctx, "Unary", []byte("x"))
		return expectCode(err, codes.NotFound, "no such key: 100% \u2713")
	}},
	{"server streaming", func() error {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-count", "5")
		s, err := stream(ctx, "ServerStream", true, false)
		if err != nil {
			return err
		}
		req := []byte("s")
		if err := s.SendMsg(&req); err != nil {
			return err
		}
		if err := s.CloseSend(); err != nil {
			return err
		}
		n := 0
		for {
			var m []byte
			err := s.RecvMsg(&m)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if string(m) != "s" {
				return fmt.Errorf("message %q", m)
			}
			n++
		}
		if n != 5 {
			return fmt.Errorf("%d messages, want 5", n)
		}
		return nil
	}},
	{"client streaming", func() error {
		s, err := stream(context.Background(), "ClientStream", false, true)
		if err != nil {
			return err
		}
		for _, p := range []string{"a", "bb", "ccc"} {
			b := []byte(p)
			if err := s.SendMsg(&b); err != nil {
				return err
			}
		}
		if err := s.CloseSend(); err != nil {
			return err
		}
		var res []byte
		if err := s.RecvMsg(&res); err != nil {
			return err
		}
		if len(res) < 4 || binary.BigEndian.Uint32(res) != 3 || string(res[4:]) != "abbccc" {
			return fmt.Errorf("response %q", res)
		}
		return nil
	}},
	{"bidi streaming", func() error {
		s, err := stream(context.Background(), "Bidi", true, true)
		if err != nil {
			return err
		}
		for i := 0; i < 10; i++ {
			b := []byte(fmt.Sprintf("b%d", i))
			if err := s.SendMsg(&b); err != nil {
				return err
			}
			var m []byte
			if err := s.RecvMsg(&m); err != nil {
				return err
			}
			if string(m) != string(b) {
				return fmt.Errorf("echo %q of %q", m, b)
			}
		}
		if err := s.CloseSend(); err != nil {
			return err
		}
		var m []byte
		if err := s.RecvMsg(&m); err != io.EOF {
			return fmt.Errorf("after CloseSend: %v, want EOF", err)
		}
		return nil
	}},
	{"5 MiB messages both ways", func() error {
		big := make([]byte, 5<<20+7)
		for i := range big {
			big[i] = byte(i * 7)
		}
		res, err := unary(context.Background(), "Unary", big, grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20))
		if err != nil {
			return err
		}
		if !bytes.Equal(res, big) {
			return fmt.Errorf("%d bytes back, not the ones sent", len(res))
		}
		return nil
	}},
	{"request over the server's limit is RESOURCE_EXHAUSTED", func() error {
		_, err := unary(context.Background(), "Unary", make([]byte, 9<<20), grpc.MaxCallSendMsgSize(64<<20))
		return expectCode(err, codes.ResourceExhausted, "")
	}},
	{"unknown method is UNIMPLEMENTED", func() error {
		_, err := unary(context.Background(), "Nope", []byte("x"))
		return expectCode(err, codes.Unimplemented, "unknown method Nope for service h2test.Test")
	}},
	{"deadline", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := unary(ctx, "Hang", []byte("x"))
		return expectCode(err, codes.DeadlineExceeded, "")
	}},
	{"cancellation, then the connection still serves", func() error {
		ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "x-sleep-ms", "60000"))
		go func() {
			time.Sleep(100 * time.Millisecond)
			cancel()
		}()
		_, err := unary(ctx, "Unary", []byte("x"))
		if e := expectCode(err, codes.Canceled, ""); e != nil {
			return e
		}
		res, err := unary(context.Background(), "Unary", []byte("after"))
		if err != nil || string(res) != "after" {
			return fmt.Errorf("after cancel: %q %v", res, err)
		}
		return nil
	}},
}

func main() {
	var err error
	conn, err = grpc.Dial("127.0.0.1:"+os.Args[1], grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		fmt.Println("FAIL dial:", err)
		os.Exit(1)
	}
	failed := false
	for _, c := range checks {
		if err := c.run(); err != nil {
			fmt.Printf("FAIL %s: %v\n", c.name, err)
			failed = true
		} else {
			fmt.Printf("ok %s\n", c.name)
		}
	}
	conn.Close()
	if failed {
		os.Exit(1)
	}
}
