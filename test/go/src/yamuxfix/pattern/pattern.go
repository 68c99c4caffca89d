// Package pattern makes the deterministic test bytes both the Go fixtures and the TypeScript tests generate
// (xorshift32 words, little-endian), so each side can check what the other sent without shipping it twice.
package pattern

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
)

// Writer writes n pattern bytes for seed to w in 64 KiB chunks, calling progress after each chunk.
func Write(w io.Writer, n int64, seed uint32, progress func(int64)) error {
	x := seed
	if x == 0 {
		x = 1
	}
	buf := make([]byte, 64*1024)
	var done int64
	for done < n {
		chunk := int64(len(buf))
		if n-done < chunk {
			chunk = n - done
		}
		for i := int64(0); i < chunk; i += 4 {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			var word [4]byte
			binary.LittleEndian.PutUint32(word[:], x)
			copy(buf[i:chunk], word[:])
		}
		if _, err := w.Write(buf[:chunk]); err != nil {
			return err
		}
		done += chunk
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

// Sum is a running sha256 over everything read.
type Sum struct {
	h hash.Hash
	N int64
}

// NewSum starts a checksum.
func NewSum() *Sum { return &Sum{h: sha256.New()} }

// Write adds p to the checksum.
func (s *Sum) Write(p []byte) (int, error) {
	s.N += int64(len(p))
	return s.h.Write(p)
}

// Hex is the sha256 so far.
func (s *Sum) Hex() string { return hex.EncodeToString(s.h.Sum(nil)) }

// Expected is the sha256 of the pattern of n bytes for seed.
func Expected(n int64, seed uint32) string {
	s := NewSum()
	_ = Write(s, n, seed, nil)
	return s.Hex()
}
