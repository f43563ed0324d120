package session_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/session"
)

// BenchmarkSession measures what the bridge's seal and open cost without the
// bridge: a session reads its keys from its storage on every call (the
// author's persona and each recipient's contact for Seal, every persona and
// contact for Open), so these include reading and checking those keys, on
// top of envelope's BenchmarkSealPost and BenchmarkOpenPost; the last one
// shows what a reader's 100 more contacts add to opening. It builds for
// GOOS=js too, to be run in the wasm runtime:
//
//	PATH=$PATH:$(go env GOROOT)/lib/wasm GOOS=js GOARCH=wasm go test -run '^$' -bench Session ./wasmclient/session/
func BenchmarkSession(b *testing.B) {
	ctx := context.Background()
	newS := func() *session.Session {
		s, err := session.New(session.Config{Storage: persona.NewMemStorage(), Relay: "http://127.0.0.1:1"})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	key := func(name string) (sec, pub string) {
		p, err := persona.New(persona.Options{Name: name})
		if err != nil {
			b.Fatal(err)
		}
		s, err := p.ArmoredSecretKey()
		if err != nil {
			b.Fatal(err)
		}
		k, err := p.ArmoredPublicKey()
		if err != nil {
			b.Fatal(err)
		}
		return string(s), string(k)
	}
	writer, reader := newS(), newS()
	authorSec, authorPub := key("Author")
	author, err := writer.ImportPersona(ctx, authorSec, "")
	if err != nil {
		b.Fatal(err)
	}
	var to []string
	for i := range 10 {
		sec, pub := key(fmt.Sprintf("Reader %d", i+1))
		c, err := writer.AddContact(ctx, pub, nil)
		if err != nil {
			b.Fatal(err)
		}
		to = append(to, c.Fingerprint)
		if i == 0 {
			if _, err := reader.ImportPersona(ctx, sec, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := reader.AddContact(ctx, authorPub, nil); err != nil {
		b.Fatal(err)
	}
	req := session.ComposeRequest{Author: author.Fingerprint, Text: strings.Repeat("x", 1<<10), Audience: "contacts", To: to}

	b.Run("Seal/1KiB/to=10", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := writer.Seal(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	msg, err := writer.Seal(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	open := func(reader *session.Session) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := reader.Open(ctx, msg)
				if err != nil || r.Status != session.StatusOK {
					b.Fatal(r, err)
				}
			}
		}
	}
	b.Run("Open/1KiB/to=10", open(reader))
	// The same reader with 100 more contacts: opening reads every key.
	for i := range 100 {
		_, pub := key(fmt.Sprintf("Contact %d", i))
		if _, err := reader.AddContact(ctx, pub, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Open/1KiB/to=10/contacts=101", open(reader))
}
