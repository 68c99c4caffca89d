// trustfix checks plugwire's signature format from Go, with the standard library only:
//
//	trustfix verify <public key base64> <manifest>   verifies <manifest>.sig; prints {"ok":true,"version":...}
//	trustfix sign <private seed base64> <manifest>   writes <manifest>.sig as plugwire does
//
// so the tests prove that a Go tool can produce and check what @plugwire/trust documents.
package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
)

type signature struct {
	Plugwire  int    `json:"plugwire"`
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"publicKey"`
	Signature string `json:"signature"`
}

type manifest struct {
	Plugwire int               `json:"plugwire"`
	Version  string            `json:"version"`
	Entry    string            `json:"entry"`
	Files    map[string]string `json:"files"`
}

func fail(err error) {
	fmt.Printf("{\"ok\":false,\"error\":%q}\n", err.Error())
	os.Exit(1)
}

func main() {
	mode, key, path := os.Args[1], os.Args[2], os.Args[3]
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		fail(err)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	if mode == "sign" {
		priv := ed25519.NewKeyFromSeed(raw)
		sig := signature{Plugwire: 1, Algorithm: "ed25519",
			PublicKey: base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)),
			Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, body))}
		out, _ := json.Marshal(sig)
		if err := os.WriteFile(path+".sig", out, 0o644); err != nil {
			fail(err)
		}
		fmt.Println(`{"ok":true}`)
		return
	}
	sigText, err := os.ReadFile(path + ".sig")
	if err != nil {
		fail(err)
	}
	var sig signature
	if err := json.Unmarshal(sigText, &sig); err != nil {
		fail(err)
	}
	sigBytes, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil {
		fail(err)
	}
	if sig.PublicKey != key || !ed25519.Verify(ed25519.PublicKey(raw), body, sigBytes) {
		fail(fmt.Errorf("signature does not verify"))
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		fail(err)
	}
	out, _ := json.Marshal(map[string]interface{}{"ok": true, "version": m.Version, "entry": m.Entry, "files": len(m.Files)})
	fmt.Println(string(out))
}
