// Command server is a grpc-go server of the raw-bytes test service h2test.Test (Unary, ServerStream,
// ClientStream, Bidi) for @plugwire/h2's interop tests; it acts like packages/h2/test/test-service.ts, steered by
// request metadata (x-status, x-message, x-sleep-ms, x-count, x-echo). It prints its loopback port on stdout, stops
// gracefully (GOAWAY) when stdin says "goaway", and exits when stdin closes.
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) String() string { return "raw" }

func first(md metadata.MD, name string) (string, bool) {
	v := md.Get(name)
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

func handle(_ interface{}, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	md, _ := metadata.FromIncomingContext(stream.Context())
	echo, hasEcho := first(md, "x-echo")
	header := metadata.MD{}
	if hasEcho {
		header.Set("x-echo", echo)
	}
	if bin := md.Get("x-data-bin"); len(bin) > 0 {
		header.Set("x-data-bin", bin[0])
	}
	trailer := "none"
	if hasEcho {
		trailer = echo
	}
	stream.SetTrailer(metadata.Pairs("x-trailer", trailer))
	failure := func() error {
		s, ok := first(md, "x-status")
		if !ok {
			return nil
		}
		code, _ := strconv.Atoi(s)
		msg, _ := first(md, "x-message")
		return status.Error(codes.Code(code), msg+" \u2713")
	}
	sleep := func() error {
		s, ok := first(md, "x-sleep-ms")
		if !ok {
			return nil
		}
		ms, _ := strconv.Atoi(s)
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return nil
		case <-stream.Context().Done():
			return stream.Context().Err()
		}
	}
	switch method {
	case "/h2test.Test/Unary", "/h2test.Test/ServerStream":
		var req []byte
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		if err := sleep(); err != nil {
			return err
		}
		if err := stream.SendHeader(header); err != nil {
			return err
		}
		n := 1
		if method == "/h2test.Test/ServerStream" {
			n = 3
			if s, ok := first(md, "x-count"); ok {
				n, _ = strconv.Atoi(s)
			}
		}
		if err := failure(); err != nil && method == "/h2test.Test/Unary" {
			return err
		}
		for i := 0; i < n; i++ {
			if err := stream.SendMsg(req); err != nil {
				return err
			}
		}
		return failure()
	case "/h2test.Test/ClientStream":
		var parts [][]byte
		for {
			var m []byte
			err := stream.RecvMsg(&m)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			parts = append(parts, m)
		}
		if err := failure(); err != nil {
			return err
		}
		out := make([]byte, 4)
		binary.BigEndian.PutUint32(out, uint32(len(parts)))
		for _, p := range parts {
			out = append(out, p...)
		}
		return stream.SendMsg(out)
	case "/h2test.Test/Bidi":
		for {
			var m []byte
			err := stream.RecvMsg(&m)
			if err == io.EOF {
				return failure()
			}
			if err != nil {
				return err
			}
			if err := stream.SendMsg(m); err != nil {
				return err
			}
		}
	}
	return status.Errorf(codes.Unimplemented, "unknown method %s", method)
}

func main() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := grpc.NewServer(
		grpc.CustomCodec(rawCodec{}),
		grpc.UnknownServiceHandler(handle),
		grpc.MaxRecvMsgSize(64<<20),
		grpc.MaxSendMsgSize(64<<20),
	)
	fmt.Println(lis.Addr().(*net.TCPAddr).Port)
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			if in.Text() == "goaway" {
				go srv.GracefulStop()
			}
		}
		os.Exit(0)
	}()
	_ = srv.Serve(lis)
	// After a graceful stop, stay up until stdin closes so the test decides when the process ends.
	select {}
}
