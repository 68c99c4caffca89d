// Command echo decodes gob values into Go types built at run time and encodes them again: each stdin line is
// {"desc": <type description>, "data": <base64 gob stream>}, each stdout line {"data": ...} or {"error": ...}.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
)

type Desc struct {
	K      string `json:"k"`
	Fields []Desc `json:"fields"`
	Elem   *Desc  `json:"elem"`
	Key    *Desc  `json:"key"`
	Len    int    `json:"len"`
}

var basics = map[string]reflect.Type{
	"bool": reflect.TypeOf(false), "int": reflect.TypeOf(int64(0)), "int8": reflect.TypeOf(int8(0)),
	"int16": reflect.TypeOf(int16(0)), "int32": reflect.TypeOf(int32(0)), "uint": reflect.TypeOf(uint64(0)),
	"uint8": reflect.TypeOf(uint8(0)), "uint16": reflect.TypeOf(uint16(0)), "uint32": reflect.TypeOf(uint32(0)),
	"float32": reflect.TypeOf(float32(0)), "float64": reflect.TypeOf(float64(0)),
	"complex128": reflect.TypeOf(complex128(0)), "string": reflect.TypeOf(""), "bytes": reflect.TypeOf([]byte(nil)),
	"iface": reflect.TypeOf((*interface{})(nil)).Elem(),
}

func build(d Desc) reflect.Type {
	if t, ok := basics[d.K]; ok {
		return t
	}
	switch d.K {
	case "struct":
		fields := make([]reflect.StructField, len(d.Fields))
		for i, f := range d.Fields {
			fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: build(f)}
		}
		return reflect.StructOf(fields)
	case "slice":
		return reflect.SliceOf(build(*d.Elem))
	case "array":
		return reflect.ArrayOf(d.Len, build(*d.Elem))
	case "map":
		return reflect.MapOf(build(*d.Key), build(*d.Elem))
	}
	panic("unknown kind " + d.K)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req struct {
			Desc Desc   `json:"desc"`
			Data []byte `json:"data"`
		}
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			out.Encode(map[string]string{"error": err.Error()})
			continue
		}
		v := reflect.New(build(req.Desc))
		if err := gob.NewDecoder(bytes.NewReader(req.Data)).DecodeValue(v); err != nil {
			out.Encode(map[string]string{"error": "decode: " + err.Error()})
			continue
		}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).EncodeValue(v.Elem()); err != nil {
			out.Encode(map[string]string{"error": "encode: " + err.Error()})
			continue
		}
		out.Encode(map[string]string{"data": base64.StdEncoding.EncodeToString(buf.Bytes())})
	}
}
