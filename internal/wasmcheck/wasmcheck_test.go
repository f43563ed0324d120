package wasmcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const (
	module = "github.com/veilsocial/veil"
	client = module + "/wasmclient"
	bridge = client + "/js" // the one package that talks to JavaScript
)

// forbidden is what the wasm build must not depend on. A pattern forbids that package and every package
// below it; a pattern ending in "*" forbids every import path that starts with the rest.
var forbidden = []struct{ pattern, why string }{
	{"github.com/libp2p", "relay federation (libp2p)"},
	{"github.com/ipfs/boxo", "relay block storage (boxo)"},
	{"github.com/ipfs/go-ds-*", "relay datastore"},
	{"github.com/syndtr/goleveldb", "relay datastore (leveldb)"},
	{"github.com/redis", "relay scale-out (Redis)"},
	{"github.com/go-redis", "relay scale-out (Redis)"},
	{"github.com/labstack/echo", "relay HTTP API (echo)"},
	{"github.com/gorilla/websocket", "relay WebSocket server"},
	{"github.com/prometheus", "relay metrics (Prometheus)"},
	// None of go-ethereum: most of it is node code, and its crypto package, built without cgo as wasm is,
	// brings dcrd's secp256k1 (below). The browser's Ethereum is wasmclient/eth, which its tests check
	// against go-ethereum.
	{"github.com/ethereum/go-ethereum", "go-ethereum (the browser's Ethereum is wasmclient/eth)"},
	// dcrd's secp256k1 links a precomputed table of ~700 KB (~0.5 MB after brotli) into any program that
	// imports it; btcec wraps it.
	{"github.com/decred/dcrd/dcrec/secp256k1", "dcrd secp256k1's precomputed table (~0.5 MB brotli); use gnark-crypto's secp256k1"},
	{"github.com/btcsuite", "btcec (dcrd secp256k1 and its table)"},
	// gnark-crypto's secp256k1 is what wasmclient/eth uses; its pairing curves are megabytes of code.
	{"github.com/consensys/gnark-crypto/ecc/b*", "pairing-friendly curves (gnark-crypto)"},
	{"github.com/crate-crypto", "KZG commitments"},
	{"github.com/supranational/blst", "BLS signatures (cgo)"},
	{"net/http", "an HTTP stack (~5 MB of wasm): relayclient's requests go through the bridge's fetch transport"},
	{"crypto/tls", "TLS (the browser does it)"},
}

// forbiddenBy reports why the wasm build must not import path, or false if it may.
func forbiddenBy(path string) (why string, bad bool) {
	if within(path, module) {
		if within(path, client) {
			return "", false
		}
		return "a package of this module outside wasmclient/", true
	}
	for _, f := range forbidden {
		if prefix, ok := strings.CutSuffix(f.pattern, "*"); ok {
			if strings.HasPrefix(path, prefix) {
				return f.why, true
			}
		} else if within(path, f.pattern) {
			return f.why, true
		}
	}
	return "", false
}

// within reports whether path is pkg or a package below it.
func within(path, pkg string) bool {
	return path == pkg || strings.HasPrefix(path, pkg+"/")
}

func TestForbiddenBy(t *testing.T) {
	for _, tc := range []struct {
		path string
		bad  bool
	}{
		{"fmt", false},
		{"net/http", true},
		{"syscall/js", false},
		{"net/http/httptest", true},
		{"github.com/ProtonMail/go-crypto/openpgp/v2", false},
		{"github.com/ipfs/go-cid", false},
		{"github.com/ipfs/go-ds-leveldb", true},
		{"github.com/ipfs/go-ds-flatfs", true},
		{"github.com/ipfs/go-datastore", false},
		{"github.com/ipfs/boxo", true},
		{"github.com/ipfs/boxo/blockstore", true},
		{"github.com/ipfs/boxophone", false},
		{"github.com/libp2p/go-libp2p/core/host", true},
		{"github.com/syndtr/goleveldb/leveldb", true},
		{"github.com/redis/go-redis/v9", true},
		{"github.com/labstack/echo/v4", true},
		{"github.com/labstack/echoes", false},
		{"github.com/gorilla/websocket", true},
		{"github.com/gorilla/mux", false},
		{"github.com/prometheus/client_golang/prometheus", true},
		{"github.com/ethereum/go-ethereum", true},
		{"github.com/ethereum/go-ethereum/common", true},
		{"github.com/ethereum/go-ethereum/crypto", true},
		{"github.com/ethereum/go-ethereum/accounts/abi", true},
		{"github.com/ethereum/go-ethereum/ethclient", true},
		{"github.com/ethereum/go-ethereumx", false},
		{"github.com/decred/dcrd/dcrec/secp256k1/v4", true},
		{"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa", true},
		{"github.com/btcsuite/btcd/btcec/v2", true},
		{"github.com/consensys/gnark-crypto/ecc/secp256k1", false},
		{"github.com/consensys/gnark-crypto/ecc/bls12-381", true},
		{"github.com/consensys/gnark-crypto/ecc/bn254", true},
		{"github.com/ethereum/go-ethereum/ethclient/simulated", true},
		{"github.com/ethereum/go-ethereum/eth", true},
		{"github.com/ethereum/go-ethereum/eth/ethconfig", true},
		{"github.com/ethereum/go-ethereum/node", true},
		{"github.com/ethereum/go-ethereum/p2p/enode", true},
		{"github.com/ethereum/go-ethereum/core/vm", true},
		{"github.com/ethereum/go-ethereum/rpc", true},
		{"github.com/veilsocial/veil/wasmclient", false},
		{"github.com/veilsocial/veil/wasmclient/envelope", false},
		{"github.com/veilsocial/veil", true},
		{"github.com/veilsocial/veil/relay", true},
		{"github.com/veilsocial/veil/storage", true},
		{"github.com/veilsocial/veil/internal/wasmcheck", true},
		{"github.com/veilsocial/veil/wasmclientx", true},
		{"github.com/veilsocial/veilx", false},
	} {
		if _, bad := forbiddenBy(tc.path); bad != tc.bad {
			t.Errorf("forbiddenBy(%q) = %v, want %v", tc.path, bad, tc.bad)
		}
	}
}

// TestWasmDeps lists what wasmclient/... depends on when built for the browser and fails on anything
// forbidden, naming the import chain that brings it in.
func TestWasmDeps(t *testing.T) {
	t.Parallel()
	out := runGo(t, wasmEnv, "list", "-deps", "-json=ImportPath,Imports,DepOnly", client+"/...")

	imports := map[string][]string{}
	var roots, all []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
			DepOnly    bool
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("failed to decode go list output: %v", err)
		}
		imports[p.ImportPath] = p.Imports
		all = append(all, p.ImportPath)
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	if len(roots) == 0 {
		t.Fatalf("%s/... matched no packages for GOOS=js", client)
	}
	// A package whose build constraints leave out js is silently dropped from a "..." pattern: compare with
	// the native build, which holds every package but the js-only bridge.
	for _, p := range strings.Fields(string(runGo(t, nil, "list", client+"/..."))) {
		if !slices.Contains(roots, p) {
			t.Errorf("%s builds natively but has no files for GOOS=js", p)
		}
	}
	// DESIGN.md: wasmclient/js is the only syscall/js code; all logic stays in normal packages.
	for _, p := range roots {
		if !within(p, bridge) && slices.Contains(imports[p], "syscall/js") {
			t.Errorf("%s imports syscall/js; only %s may", p, bridge)
		}
	}
	t.Logf("%d wasmclient packages, %d dependencies in all", len(roots), len(all))
	for _, path := range all {
		if why, bad := forbiddenBy(path); bad {
			t.Errorf("the wasm build depends on %s (%s):\n\t%s", path, why, strings.Join(chain(roots, imports, path), "\n\t-> "))
		}
	}
}

// chain returns a shortest import chain from one of roots to target.
func chain(roots []string, imports map[string][]string, target string) []string {
	from := map[string]string{}
	queue := slices.Clone(roots)
	for _, r := range roots {
		from[r] = ""
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == target {
			var c []string
			for ; p != ""; p = from[p] {
				c = append(c, p)
			}
			slices.Reverse(c)
			return c
		}
		for _, q := range imports[p] {
			if _, seen := from[q]; !seen {
				from[q] = p
				queue = append(queue, q)
			}
		}
	}
	return []string{target}
}

func TestChain(t *testing.T) {
	imports := map[string][]string{
		"a": {"b", "c"},
		"b": {"d"},
		"c": {"e"},
		"e": {"d"},
	}
	if got, want := chain([]string{"a"}, imports, "d"), []string{"a", "b", "d"}; !slices.Equal(got, want) {
		t.Errorf("chain = %v, want %v", got, want)
	}
	if got, want := chain([]string{"x", "c"}, imports, "d"), []string{"c", "e", "d"}; !slices.Equal(got, want) {
		t.Errorf("chain = %v, want %v", got, want)
	}
}

// TestWasmBuild compiles wasmclient/... for the browser (and discards the result); go list alone misses
// compile errors, such as a type error in a js-only file.
func TestWasmBuild(t *testing.T) {
	t.Parallel()
	runGo(t, wasmEnv, "build", "-o", os.DevNull, client+"/...")
}

var wasmEnv = []string{"GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0"}

// runGo runs the go command with env added to the test's environment and returns its standard output.
func runGo(t *testing.T, env []string, args ...string) []byte {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), gotool, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s go %s: %v\n%s", strings.Join(env, " "), strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}
