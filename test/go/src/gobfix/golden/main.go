// Command golden writes gob bytes made by Go's encoding/gob for a fixed set of cases ("gen"), and checks
// that bytes made by plugwire decode to the same Go values ("check", JSON {case: base64} on stdin).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
)

type Point struct{ X, Y int }

type Inner struct {
	A string
	B []int
}

type Outer struct {
	Name  string
	Zero  int
	Flag  bool
	In    Inner
	P     *Inner
	Nil   *Inner
	Tags  map[string]int
	Arr   [3]uint8
	Any   interface{}
	F32   float32
	C     complex128
	U64   uint64
	I64   int64
	Bytes []byte
}

type PtrHolder struct {
	P *int
	Q *int
}

type Node struct {
	Val  int
	Next *Node
}

type Holder struct{ Any interface{} }

// Bin travels as a BinaryMarshaler payload.
type Bin struct{ v string }

func (b Bin) MarshalBinary() ([]byte, error) { return []byte("bin:" + b.v), nil }
func (b *Bin) UnmarshalBinary(d []byte) error {
	if !bytes.HasPrefix(d, []byte("bin:")) {
		return errors.New("bad Bin payload")
	}
	b.v = string(d[4:])
	return nil
}

// GobE travels as a GobEncoder payload.
type GobE struct{ n int }

func (g GobE) GobEncode() ([]byte, error) { return []byte(strconv.Itoa(g.n)), nil }
func (g *GobE) GobDecode(d []byte) error {
	n, err := strconv.Atoi(string(d))
	g.n = n
	return err
}

type BinHolder struct {
	B Bin
	G GobE
}

type Request struct {
	ServiceMethod string
	Seq           uint64
}

func cases() map[string]interface{} {
	seven := 7
	return map[string]interface{}{
		"bool":         true,
		"int":          -129,
		"int8":         int8(-128),
		"int16":        int16(32767),
		"int32":        int32(math.MinInt32),
		"int64max":     int64(math.MaxInt64),
		"int64min":     int64(math.MinInt64),
		"uint8":        uint8(255),
		"uint16":       uint16(65535),
		"uint32":       uint32(math.MaxUint32),
		"uint64max":    uint64(math.MaxUint64),
		"uintbig":      uint(1<<53 + 1),
		"float64":      math.Pi,
		"float32":      float32(1.5),
		"floatneg":     -0.1,
		"floatinf":     math.Inf(-1),
		"complex128":   complex(1.5, -2),
		"complex64":    complex64(complex(0.25, 8)),
		"string":       "héllo, 世界",
		"bytes":        []byte{0, 1, 2, 255},
		"strings":      []string{"a", "", "c"},
		"ints":         []int{0, -1, 1 << 40},
		"array":        [3]int{1, 0, 3},
		"map":          map[string]int{"a": 1, "zero": 0},
		"mapIntString": map[int]string{-5: "x"},
		"point":        Point{22, 33},
		"outer": Outer{
			Name: "outer", Flag: true, In: Inner{A: "in", B: []int{1, 2}}, P: &Inner{A: "p"},
			Tags: map[string]int{"t": 3}, Arr: [3]uint8{1, 0, 9}, Any: Point{1, 2}, F32: -2.5,
			C: complex(0, 1), U64: math.MaxUint64, I64: -(1 << 60), Bytes: []byte("xyz"),
		},
		"outerZero": Outer{},
		"ptrHolder": PtrHolder{P: &seven},
		"iface":     map[string]interface{}{"key": "k", "value": []byte("v")},
		"ifaceList": []interface{}{Point{1, 2}, "s", 7, nil, []byte{1}, true, 2.5, int64(-3), uint32(9)},
		"nested":    Holder{Any: Holder{Any: Point{5, 6}}},
		"bin":       BinHolder{B: Bin{"payload"}, G: GobE{42}},
		"request":   Request{ServiceMethod: "Plugin.Get", Seq: 7},
		"empty":     struct{}{},
		"recursive": Node{Val: 1, Next: &Node{Val: 2}},
		"mapNested": map[string][]Point{"ps": {{1, 2}, {3, 4}}},
	}
}

func main() {
	gob.Register(Point{})
	gob.Register(Holder{})
	all := cases()
	switch os.Args[1] {
	case "gen":
		out := map[string]string{}
		for name, v := range all {
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(v); err != nil {
				fmt.Fprintln(os.Stderr, name, err)
				os.Exit(1)
			}
			out[name] = base64.StdEncoding.EncodeToString(buf.Bytes())
		}
		json.NewEncoder(os.Stdout).Encode(out)
	case "check":
		var in map[string]string
		if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
			panic(err)
		}
		out := map[string]string{}
		for name, b64 := range in {
			want, ok := all[name]
			if !ok {
				out[name] = "no such case"
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(b64)
			got := reflect.New(reflect.TypeOf(want))
			if err := gob.NewDecoder(bytes.NewReader(raw)).DecodeValue(got); err != nil {
				out[name] = "decode: " + err.Error()
			} else if !reflect.DeepEqual(got.Elem().Interface(), want) {
				out[name] = fmt.Sprintf("got %#v, want %#v", got.Elem().Interface(), want)
			} else {
				out[name] = "ok"
			}
		}
		json.NewEncoder(os.Stdout).Encode(out)
	}
}
