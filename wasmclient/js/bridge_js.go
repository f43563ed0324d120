//go:build js && wasm

// Command js is Veil's client core for the browser: built with GOOS=js
// GOARCH=wasm into veil.wasm (make wasm), it runs in the extension's service
// worker or offscreen document, or in the relay's post viewer, under the
// toolchain's wasm_exec.js.
//
// This file is the only syscall/js code of the client. main sets one
// constructor, globalThis.newVeil(options), and keeps running. newVeil
// returns a Promise of an object whose methods return Promises; veil.d.ts
// beside this file is their contract, and wasmclient/session does the work
// behind each one. A rejected Promise carries an Error with a stable code
// (session.Code). The options' storage object is adapted to
// persona.Storage.
//
// Go's js/wasm runtime runs every goroutine on the page's one thread. A
// goroutine may wait for a JavaScript Promise (await below), because the
// runtime returns to the event loop while all goroutines wait; a callback
// that JavaScript calls (js.FuncOf) must not, because the event loop waits
// for it. So each method only starts a goroutine and returns its Promise,
// and the goroutine does the work, awaits the storage's Promises and
// settles the method's. net/http goes through fetch.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
	"github.com/veilsocial/veil/wasmclient/session"
)

// callTimeout bounds each method call, relay requests included.
const callTimeout = 2 * time.Minute

func main() {
	js.Global().Set("newVeil", js.FuncOf(newVeil))
	select {}
}

// newVeil is globalThis.newVeil(options): a Promise of a Veil object.
func newVeil(_ js.Value, args []js.Value) any {
	return promise(func() (any, error) {
		opts := arg(args, 0)
		if opts.Type() != js.TypeObject {
			return nil, badInput("newVeil takes {storage, relay}")
		}
		st := opts.Get("storage")
		if st.Type() != js.TypeObject {
			return nil, badInput("options.storage is not a VeilStorage")
		}
		for _, m := range []string{"get", "set", "remove", "list"} {
			if st.Get(m).Type() != js.TypeFunction {
				return nil, badInput("options.storage has no " + m + " method")
			}
		}
		relay := opts.Get("relay")
		if relay.Type() != js.TypeString {
			return nil, badInput("options.relay is not a URL")
		}
		s, err := session.New(session.Config{Storage: jsStorage{st}, Relay: relay.String(), Transport: fetchTransport{}})
		if err != nil {
			return nil, err
		}
		return veilObject(s), nil
	})
}

// method is one of the Veil object's methods: it reads its arguments and
// calls the session.
type method func(ctx context.Context, s *session.Session, args []js.Value) (any, error)

// methods are the Veil object's methods, by their JavaScript names.
var methods = map[string]method{
	"createPersona": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		var req session.CreatePersonaRequest
		if err := object(a, 0, "request", &req); err != nil {
			return nil, err
		}
		return s.CreatePersona(ctx, req)
	},
	"listPersonas": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		return s.ListPersonas(ctx)
	},
	"importPersona": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		armored, err := str(a, 0, "armoredSecret")
		if err != nil {
			return nil, err
		}
		pass, err := optStr(a, 1, "passphrase")
		if err != nil {
			return nil, err
		}
		return s.ImportPersona(ctx, armored, pass)
	},
	"unlock": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		fpr, err := str(a, 0, "fingerprint")
		if err != nil {
			return nil, err
		}
		pass, err := str(a, 1, "passphrase")
		if err != nil {
			return nil, err
		}
		return nil, s.Unlock(ctx, fpr, pass)
	},
	"lock": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		fpr, err := str(a, 0, "fingerprint")
		if err != nil {
			return nil, err
		}
		return nil, s.Lock(ctx, fpr)
	},
	"exportPublicKey": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		fpr, err := str(a, 0, "fingerprint")
		if err != nil {
			return nil, err
		}
		return s.ExportPublicKey(ctx, fpr)
	},
	"backup": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		pass, err := str(a, 0, "passphrase")
		if err != nil {
			return nil, err
		}
		return s.Backup(ctx, pass)
	},
	"restore": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		data, err := byteArray(a, 0, "data")
		if err != nil {
			return nil, err
		}
		pass, err := str(a, 1, "passphrase")
		if err != nil {
			return nil, err
		}
		return s.Restore(ctx, data, pass)
	},
	"publishKey": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		fpr, err := str(a, 0, "fingerprint")
		if err != nil {
			return nil, err
		}
		return nil, s.PublishKey(ctx, fpr)
	},
	"walletBinding": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		fpr, err := str(a, 0, "fingerprint")
		if err != nil {
			return nil, err
		}
		return s.WalletBinding(ctx, fpr)
	},
	"walletCreate": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		pass, err := optStr(a, 0, "passphrase")
		if err != nil {
			return nil, err
		}
		return s.WalletCreate(ctx, pass)
	},
	"walletImport": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		key, err := str(a, 0, "privateKey")
		if err != nil {
			return nil, err
		}
		pass, err := optStr(a, 1, "passphrase")
		if err != nil {
			return nil, err
		}
		return s.WalletImport(ctx, key, pass)
	},
	"walletList": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		return s.WalletList(ctx)
	},
	"walletUnlock": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		addr, err := str(a, 0, "address")
		if err != nil {
			return nil, err
		}
		pass, err := str(a, 1, "passphrase")
		if err != nil {
			return nil, err
		}
		return nil, s.WalletUnlock(ctx, addr, pass)
	},
	"walletLock": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		addr, err := str(a, 0, "address")
		if err != nil {
			return nil, err
		}
		return nil, s.WalletLock(ctx, addr)
	},
	"walletBalance": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		addr, err := optStr(a, 0, "address")
		if err != nil {
			return nil, err
		}
		return s.WalletBalance(ctx, addr)
	},
	"bindWallet": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		fpr, err := str(a, 0, "fingerprint")
		if err != nil {
			return nil, err
		}
		chainID, err := optUint(a, 1, "chainId")
		if err != nil {
			return nil, err
		}
		addr, err := str(a, 2, "address")
		if err != nil {
			return nil, err
		}
		pass, err := optStr(a, 3, "passphrase")
		if err != nil {
			return nil, err
		}
		return s.BindWallet(ctx, fpr, chainID, addr, pass)
	},
	"walletBindingStatus": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		fpr, err := str(a, 0, "fingerprint")
		if err != nil {
			return nil, err
		}
		return s.WalletBindingStatus(ctx, fpr)
	},
	"chainConfig": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		cfg, err := s.ChainConfig(ctx)
		if cfg == nil || err != nil {
			return js.Null(), err
		}
		return cfg, nil
	},
	"setChainConfig": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		var cfg session.ChainConfig
		if err := object(a, 0, "config", &cfg); err != nil {
			return nil, err
		}
		return s.SetChainConfig(ctx, cfg)
	},
	"tip": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		req, err := tipRequest(a)
		if err != nil {
			return nil, err
		}
		return s.Tip(ctx, req)
	},
	"tipCalls": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		req, err := tipRequest(a)
		if err != nil {
			return nil, err
		}
		return s.TipCalls(ctx, req)
	},
	"tipStatus": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		tx, err := str(a, 0, "txHash")
		if err != nil {
			return nil, err
		}
		var expect map[string]any
		if v := arg(a, 1); !v.IsUndefined() && !v.IsNull() {
			if err := object(a, 1, "expect", &expect); err != nil {
				return nil, err
			}
		}
		return s.TipStatus(ctx, tx, expect)
	},
	"tipTotal": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		c, err := str(a, 0, "cid")
		if err != nil {
			return nil, err
		}
		return s.TipTotal(ctx, c)
	},
	"addContact": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		armored, err := str(a, 0, "armored")
		if err != nil {
			return nil, err
		}
		h, err := handle(a, 1)
		if err != nil {
			return nil, err
		}
		return s.AddContact(ctx, armored, h)
	},
	"listContacts": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		return s.ListContacts(ctx)
	},
	"removeContact": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		fpr, err := str(a, 0, "fingerprint")
		if err != nil {
			return nil, err
		}
		return nil, s.RemoveContact(ctx, fpr)
	},
	"resolveKeys": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		var q session.KeyQuery
		if err := object(a, 0, "query", &q); err != nil {
			return nil, err
		}
		return s.ResolveKeys(ctx, q)
	},
	"checkProof": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		text, err := str(a, 0, "profileText")
		if err != nil {
			return nil, err
		}
		fpr, err := str(a, 1, "fingerprint")
		if err != nil {
			return nil, err
		}
		h, err := handle(a, 2)
		if err != nil {
			return nil, err
		}
		return s.CheckProof(ctx, text, fpr, h)
	},
	"compose": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		var req session.ComposeRequest
		if err := object(a, 0, "request", &req); err != nil {
			return nil, err
		}
		return s.Compose(ctx, req)
	},
	"seal": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		var req session.ComposeRequest
		if err := object(a, 0, "request", &req); err != nil {
			return nil, err
		}
		return s.Seal(ctx, req)
	},
	"open": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		msg, err := byteArray(a, 0, "message")
		if err != nil {
			return nil, err
		}
		return s.Open(ctx, msg)
	},
	"findPayloads": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		text, err := str(a, 0, "text")
		if err != nil {
			return nil, err
		}
		return s.FindPayloads(text), nil
	},
	"read": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		p, err := str(a, 0, "payload")
		if err != nil {
			return nil, err
		}
		return s.Read(ctx, p)
	},
	"addRecipients": func(ctx context.Context, s *session.Session, a []js.Value) (any, error) {
		cid, err := str(a, 0, "cid")
		if err != nil {
			return nil, err
		}
		author, err := str(a, 1, "author")
		if err != nil {
			return nil, err
		}
		var to []string
		if err := object(a, 2, "to", &to); err != nil {
			return nil, err
		}
		return s.AddRecipients(ctx, cid, author, to)
	},
}

// veilObject is the Veil object of a session.
func veilObject(s *session.Session) js.Value {
	obj := js.Global().Get("Object").New()
	for name, m := range methods {
		obj.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any {
			args = append([]js.Value(nil), args...)
			return promise(func() (any, error) {
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				defer cancel()
				return m(ctx, s, args)
			})
		}))
	}
	return obj
}

// promise runs fn on a goroutine of its own and returns a Promise that
// settles with its result: resolved with the value (see toJS), or rejected
// with an Error whose code is session.Code of the error. A panic rejects it
// with code "internal" and leaves the client running.
func promise(fn func() (any, error)) js.Value {
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			v, err := recovered(fn)
			if err != nil {
				reject.Invoke(jsError(err))
				return
			}
			resolve.Invoke(toJS(v))
		}()
		return nil
	})
	defer executor.Release() // the Promise constructor calls it at once
	return js.Global().Get("Promise").New(executor)
}

func recovered(fn func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("veil: internal error: %v", r)
		}
	}()
	return fn()
}

// jsError is the Error a Promise is rejected with: the error's message and
// its stable code.
func jsError(err error) js.Value {
	e := js.Global().Get("Error").New(err.Error())
	e.Set("name", "VeilError")
	e.Set("code", session.Code(err))
	return e
}

// toJS turns a method's result into a JavaScript value: nothing is
// undefined, bytes a Uint8Array, JavaScript values, strings and booleans
// themselves, and anything else the object its JSON describes.
func toJS(v any) js.Value {
	switch v := v.(type) {
	case nil:
		return js.Undefined()
	case js.Value:
		return v
	case []byte:
		a := js.Global().Get("Uint8Array").New(len(v))
		js.CopyBytesToJS(a, v)
		return a
	case string, bool:
		return js.ValueOf(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the session's types always marshal
	}
	return js.Global().Get("JSON").Call("parse", string(b))
}

// badInput marks arguments that do not fit the contract.
func badInput(msg string) error { return fmt.Errorf("%w: %s", session.ErrBadInput, msg) }

// arg is args[i], undefined when the caller left it out.
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func str(args []js.Value, i int, name string) (string, error) {
	v := arg(args, i)
	if v.Type() != js.TypeString {
		return "", badInput(name + " is not a string")
	}
	return v.String(), nil
}

func optStr(args []js.Value, i int, name string) (string, error) {
	if v := arg(args, i); v.IsUndefined() || v.IsNull() {
		return "", nil
	}
	return str(args, i, name)
}

// optUint reads an optional whole number (undefined or null is 0) that a
// JavaScript number holds exactly.
func optUint(args []js.Value, i int, name string) (uint64, error) {
	v := arg(args, i)
	if v.IsUndefined() || v.IsNull() {
		return 0, nil
	}
	if v.Type() != js.TypeNumber {
		return 0, badInput(name + " is not a number")
	}
	f := v.Float()
	if f < 0 || f > 1<<53 || f != float64(uint64(f)) {
		return 0, badInput(name + " is not a whole number")
	}
	return uint64(f), nil
}

// object reads a JSON-shaped argument (an object or an array) into out.
func object(args []js.Value, i int, name string, out any) error {
	v := arg(args, i)
	if v.Type() != js.TypeObject || v.IsNull() {
		return badInput(name + " is not an object")
	}
	s := js.Global().Get("JSON").Call("stringify", v).String()
	if err := json.Unmarshal([]byte(s), out); err != nil {
		return badInput(fmt.Sprintf("%s: %v", name, err))
	}
	return nil
}

// handle reads an optional Handle argument.
func handle(args []js.Value, i int) (*persona.Claim, error) {
	if v := arg(args, i); v.IsUndefined() || v.IsNull() {
		return nil, nil
	}
	var h persona.Claim
	if err := object(args, i, "handle", &h); err != nil {
		return nil, err
	}
	return &h, nil
}

func byteArray(args []js.Value, i int, name string) ([]byte, error) {
	v := arg(args, i)
	if !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, badInput(name + " is not a Uint8Array")
	}
	b := make([]byte, v.Length())
	js.CopyBytesToGo(b, v)
	return b, nil
}

// jsStorage is a VeilStorage (get/set/remove/list returning Promises) as a
// persona.Storage. Its methods wait for the Promises, so they must run on
// a goroutine of their own, never in a callback (see the package comment).
type jsStorage struct{ v js.Value }

func (s jsStorage) call(method string, args ...any) (js.Value, error) {
	v, err := recoveredCall(func() js.Value { return s.v.Call(method, args...) })
	if err != nil {
		return js.Undefined(), fmt.Errorf("storage.%s: %w", method, err)
	}
	v, err = await(v)
	if err != nil {
		return js.Undefined(), fmt.Errorf("storage.%s: %w", method, err)
	}
	return v, nil
}

// recoveredCall calls into JavaScript and turns an exception into an error.
func recoveredCall(call func() js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = je
				return
			}
			err = fmt.Errorf("%v", r)
		}
	}()
	return call(), nil
}

// Read returns a blob; a missing one (null) is fs.ErrNotExist.
func (s jsStorage) Read(name string) ([]byte, error) {
	v, err := s.call("get", name)
	if err != nil {
		return nil, err
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	if v.InstanceOf(js.Global().Get("ArrayBuffer")) {
		v = js.Global().Get("Uint8Array").New(v)
	}
	if !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, fmt.Errorf("storage.get(%q) did not give a Uint8Array", name)
	}
	b := make([]byte, v.Length())
	js.CopyBytesToGo(b, v)
	return b, nil
}

// Write stores a blob.
func (s jsStorage) Write(name string, data []byte) error {
	a := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(a, data)
	_, err := s.call("set", name, a)
	return err
}

// Remove deletes a blob.
func (s jsStorage) Remove(name string) error {
	_, err := s.call("remove", name)
	return err
}

// List returns the blobs directly under dir, sorted: storage.list(dir + "/")
// without the names further down.
func (s jsStorage) List(dir string) ([]string, error) {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	v, err := s.call("list", prefix)
	if err != nil {
		return nil, err
	}
	if !js.Global().Get("Array").Call("isArray", v).Bool() {
		return nil, fmt.Errorf("storage.list(%q) did not give an array", prefix)
	}
	var names []string
	for i := range v.Length() {
		n := v.Index(i)
		if n.Type() != js.TypeString {
			return nil, fmt.Errorf("storage.list(%q) gave a name that is not a string", prefix)
		}
		if rest, ok := strings.CutPrefix(n.String(), prefix); ok && rest != "" && !strings.Contains(rest, "/") {
			names = append(names, n.String())
		}
	}
	sort.Strings(names)
	return names, nil
}

// await waits for a Promise (or any thenable) to settle and returns its
// value, or its rejection as an error. Anything else is its own value.
func await(p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	onResolve := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{v: arg(args, 0)}
		return nil
	})
	onReject := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{err: rejection(arg(args, 0))}
		return nil
	})
	defer onResolve.Release()
	defer onReject.Release()
	p.Call("then", onResolve, onReject)
	r := <-ch
	return r.v, r.err
}

// rejection is the error of a rejected Promise.
func rejection(reason js.Value) error {
	if reason.Type() == js.TypeObject && reason.Get("message").Type() == js.TypeString {
		return errors.New(reason.Get("message").String())
	}
	return fmt.Errorf("rejected: %s", js.Global().Call("String", reason).String())
}

// fetchTransport sends relay requests with the browser's fetch, so that the
// wasm carries no HTTP client of its own (net/http would more than double
// its size). Like jsStorage it waits for Promises: goroutines only.
type fetchTransport struct{}

// headersBrowsersSet are request headers fetch refuses or sets itself.
var headersBrowsersSet = map[string]bool{"user-agent": true, "content-length": true, "host": true}

func (fetchTransport) RoundTrip(ctx context.Context, req *relayclient.Request) (*relayclient.Response, error) {
	fetch := js.Global().Get("fetch")
	if fetch.Type() != js.TypeFunction {
		return nil, errors.New("relayclient: this JavaScript has no fetch")
	}
	init := js.Global().Get("Object").New()
	init.Set("method", req.Method)
	init.Set("redirect", "error") // a relay answers; it does not send clients elsewhere
	init.Set("credentials", "omit")
	h := js.Global().Get("Object").New()
	for k, v := range req.Header {
		if !headersBrowsersSet[k] {
			h.Set(k, v)
		}
	}
	init.Set("headers", h)
	if req.Body != nil {
		b := js.Global().Get("Uint8Array").New(len(req.Body))
		js.CopyBytesToJS(b, req.Body)
		init.Set("body", b)
	}
	abort := js.Global().Get("AbortController").New()
	init.Set("signal", abort.Get("signal"))
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()

	p, err := recoveredCall(func() js.Value { return fetch.Invoke(req.URL, init) })
	if err == nil {
		p, err = await(p)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("%w: %w", relayclient.ErrUnreachable, err)
	}
	resp := &relayclient.Response{Status: p.Get("status").Int(), Header: relayclient.Header{}, ContentLength: -1}
	entries := js.Global().Get("Array").Call("from", p.Get("headers").Call("entries"))
	for i := range entries.Length() {
		kv := entries.Index(i)
		resp.Header.Set(kv.Index(0).String(), kv.Index(1).String())
	}
	if n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil {
		resp.ContentLength = n
	}
	buf, err := await(p.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %w", relayclient.ErrUnreachable, err)
	}
	body := make([]byte, buf.Get("byteLength").Int())
	js.CopyBytesToGo(body, js.Global().Get("Uint8Array").New(buf))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// tipRequest reads tip's and tipCalls's arguments: cid, author, amount,
// token?, from?.
func tipRequest(a []js.Value) (session.TipRequest, error) {
	var req session.TipRequest
	var err error
	if req.CID, err = str(a, 0, "cid"); err != nil {
		return req, err
	}
	if req.Author, err = str(a, 1, "author"); err != nil {
		return req, err
	}
	if req.Amount, err = str(a, 2, "amount"); err != nil {
		return req, err
	}
	if req.Token, err = optStr(a, 3, "token"); err != nil {
		return req, err
	}
	req.From, err = optStr(a, 4, "from")
	return req, err
}
