// Command peer is the Go side of plugwire's yamux interop tests: a hashicorp/yamux session (client or server
// role) on a unix socket the test listens on. Every stream the test opens starts with a command line; the
// "ctrl" stream takes line commands that make this side open streams, ping, go away, or report results.
// Session end is reported on stdout as "session-ended: <error>".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"
	"yamuxfix/pattern"
)

type peer struct {
	session  *yamux.Session
	mu       sync.Mutex
	results  map[string]chan string
	holds    map[string]chan struct{}
	progress map[string]*int64
	gate     sync.Mutex // held while accepting is paused
	conn     net.Conn
}

func (p *peer) result(tag string) chan string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.results[tag]
	if !ok {
		ch = make(chan string, 1)
		p.results[tag] = ch
	}
	return ch
}

func (p *peer) hold(tag string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.holds[tag]
	if !ok {
		ch = make(chan struct{})
		p.holds[tag] = ch
	}
	return ch
}

func readLine(r io.Reader) (string, error) {
	// Byte at a time so nothing after the line is consumed.
	var b []byte
	one := make([]byte, 1)
	for {
		if _, err := io.ReadFull(r, one); err != nil {
			return "", err
		}
		if one[0] == '\n' {
			return string(b), nil
		}
		b = append(b, one[0])
	}
}

func drain(r io.Reader) string {
	sum := pattern.NewSum()
	_, err := io.Copy(sum, r)
	if err != nil {
		return fmt.Sprintf("err %d %v", sum.N, err)
	}
	return fmt.Sprintf("eof %d %s", sum.N, sum.Hex())
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// serveStream runs the command on the first line of a stream the test opened.
func (p *peer) serveStream(s *yamux.Stream) {
	line, err := readLine(s)
	if err != nil {
		s.Close()
		return
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		s.Close()
		return
	}
	switch f[0] {
	case "ctrl":
		p.ctrl(s)
	case "echo":
		io.Copy(s, s)
		s.Close()
	case "sink":
		sum := pattern.NewSum()
		io.Copy(sum, s)
		fmt.Fprintf(s, "%d %s\n", sum.N, sum.Hex())
		s.Close()
	case "sink-log":
		// Says "ready", then reads to EOF and reports the checksum on stdout (the session may be gone by then).
		s.Write([]byte("ready\n"))
		sum := pattern.NewSum()
		io.Copy(sum, s)
		fmt.Printf("sink %d %s\n", sum.N, sum.Hex())
		s.Close()
	case "discard":
		n, _ := io.Copy(ioutil.Discard, s)
		fmt.Fprintf(s, "%d\n", n)
		s.Close()
	case "source":
		go io.Copy(ioutil.Discard, s)
		pattern.Write(s, atoi(f[1]), uint32(atoi(f[2])), nil)
		s.Close()
	case "watch":
		// Say so first: a RST that arrives before this side reads makes Read fail at once.
		s.Write([]byte("watching\n"))
		p.result(f[1]) <- drain(s)
	case "finfirst":
		// Half-close at once; the test checks the stream then closes on both sides once it sends its FIN.
		s.Close()
	case "hold":
		<-p.hold(f[1])
		p.result(f[1]) <- drain(s)
	default:
		s.Close()
	}
}

func (p *peer) openEcho(n int64, seed uint32) string {
	st, err := p.session.OpenStream()
	if err != nil {
		return "err " + err.Error()
	}
	// yamux v1.0.1's Read returns EOF whenever its buffer is empty once this side has closed, so this side
	// reads the whole echo back before it closes (the peer closes its side when it sees that FIN).
	defer st.Close()
	go pattern.Write(st, n, seed, nil)
	sum := pattern.NewSum()
	if _, err := io.CopyN(sum, st, n); err != nil {
		return fmt.Sprintf("err after %d bytes: %v", sum.N, err)
	}
	if want := pattern.Expected(n, seed); sum.Hex() != want {
		return fmt.Sprintf("fail got %d bytes %s want %s", sum.N, sum.Hex(), want)
	}
	return "ok"
}

func (p *peer) ctrl(s *yamux.Stream) {
	r := bufio.NewReader(s)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		reply := "ok"
		switch f[0] {
		case "result":
			select {
			case reply = <-p.result(f[1]):
			case <-time.After(20 * time.Second):
				reply = "timeout"
			}
		case "release":
			close(p.hold(f[1]))
		case "open-source":
			// open-source <n> <seed>: this side opens a stream, writes the pattern, closes.
			st, err := p.session.OpenStream()
			if err != nil {
				reply = "err " + err.Error()
				break
			}
			go func() {
				go io.Copy(ioutil.Discard, st)
				pattern.Write(st, atoi(f[1]), uint32(atoi(f[2])), nil)
				st.Close()
			}()
		case "open-zeros":
			// open-zeros <n>: this side opens a stream and writes n zero bytes in 64 KiB writes (benchmark).
			st, err := p.session.OpenStream()
			if err != nil {
				reply = "err " + err.Error()
				break
			}
			n := atoi(f[1])
			go func() {
				buf := make([]byte, 64*1024)
				for sent := int64(0); sent < n; sent += int64(len(buf)) {
					if _, err := st.Write(buf); err != nil {
						return
					}
				}
				st.Close()
			}()
		case "open-slow-source":
			// open-slow-source <tag> <n> <seed>: like open-source, counting bytes written for "progress <tag>".
			st, err := p.session.OpenStream()
			if err != nil {
				reply = "err " + err.Error()
				break
			}
			var done int64
			p.mu.Lock()
			p.progress[f[1]] = &done
			p.mu.Unlock()
			go func() {
				pattern.Write(st, atoi(f[2]), uint32(atoi(f[3])), func(n int64) { atomic.StoreInt64(&done, n) })
				st.Close()
			}()
		case "progress":
			p.mu.Lock()
			ptr := p.progress[f[1]]
			p.mu.Unlock()
			if ptr == nil {
				reply = "unknown"
			} else {
				reply = strconv.FormatInt(atomic.LoadInt64(ptr), 10)
			}
		case "open-echo":
			reply = p.openEcho(atoi(f[1]), uint32(atoi(f[2])))
		case "open-many":
			// open-many <count> <size>: concurrent open-echo on count streams.
			count := int(atoi(f[1]))
			out := make(chan string, count)
			for i := 0; i < count; i++ {
				go func(i int) { out <- p.openEcho(atoi(f[2]), uint32(i+1)) }(i)
			}
			for i := 0; i < count; i++ {
				if r := <-out; r != "ok" {
					reply = r
				}
			}
		case "raw-goaway":
			// raw-goaway <code>: a go-away frame written straight onto the connection (the session is idle), as a
			// newer yamux sends on its own errors; no reply follows.
			hdr := []byte{0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(atoi(f[1]))}
			p.conn.Write(hdr)
			continue
		case "try-open":
			st, err := p.session.OpenStream()
			if err != nil {
				reply = "err " + err.Error()
				break
			}
			st.Write([]byte("x"))
			st.Close()
		case "ping":
			d, err := p.session.Ping()
			if err != nil {
				reply = "err " + err.Error()
			} else {
				reply = "ok " + strconv.FormatInt(d.Nanoseconds(), 10)
			}
		case "goaway":
			if err := p.session.GoAway(); err != nil {
				reply = "err " + err.Error()
			}
		case "pause-accept":
			p.gate.Lock()
		case "resume-accept":
			p.gate.Unlock()
		case "close-session":
			// Go's Session.Close: closes the connection without a go-away; no reply.
			p.session.Close()
			continue
		case "numstreams":
			reply = strconv.Itoa(p.session.NumStreams())
		default:
			reply = "unknown command"
		}
		if _, err := fmt.Fprintf(s, "%s\n", reply); err != nil {
			return
		}
	}
}

func main() {
	sock := flag.String("sock", "", "unix socket to dial")
	role := flag.String("role", "server", "yamux role of this side: client or server")
	backlog := flag.Int("backlog", 256, "accept backlog")
	flag.Parse()
	log.SetOutput(os.Stderr)

	conn, err := net.Dial("unix", *sock)
	if err != nil {
		log.Fatal(err)
	}
	cfg := yamux.DefaultConfig()
	cfg.AcceptBacklog = *backlog
	cfg.LogOutput = os.Stderr
	var s *yamux.Session
	if *role == "client" {
		s, err = yamux.Client(conn, cfg)
	} else {
		s, err = yamux.Server(conn, cfg)
	}
	if err != nil {
		log.Fatal(err)
	}
	var handlers sync.WaitGroup
	p := &peer{session: s, results: map[string]chan string{}, holds: map[string]chan struct{}{}, progress: map[string]*int64{}, conn: conn}
	for {
		p.gate.Lock()
		p.gate.Unlock()
		st, err := s.AcceptStream()
		if err != nil {
			// A stream accepted while the session shut down fails with ErrSessionShutdown; once the backlog is
			// empty AcceptStream returns the real cause.
			for i := 0; i < 300 && err == yamux.ErrSessionShutdown; i++ {
				_, err = s.AcceptStream()
			}
			// Let stream handlers finish what the session delivered before it ended (bounded: some never end).
			done := make(chan struct{})
			go func() { handlers.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
			}
			fmt.Printf("session-ended: %v\n", err)
			os.Exit(0)
		}
		handlers.Add(1)
		go func() {
			defer handlers.Done()
			p.serveStream(st)
		}()
	}
}
