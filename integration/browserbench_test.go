package integration

// BenchmarkBrowser measures the browser client where it runs: veil.wasm in
// real headless Chromium, beside OpenPGP.js doing the same work in the same
// page on the same keys. It is a benchmark, so `make test` never runs it:
//
//	go test ./integration/ -run '^$' -bench BenchmarkBrowser -benchtime=1x -count=3
//
// The pages are in testdata/browserbench/, served from a local server with a
// strict CSP that allows compiling wasm ('wasm-unsafe-eval') and cross-origin
// isolation (COOP and COEP), so that performance.now() is precise to 5 µs
// rather than 100. docs/BENCHMARKS.md ("Browser") reports the numbers.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/veilsocial/veil/wasmclient/persona"
)

const (
	// benchColdRuns cold starts are measured, after one that is not.
	benchColdRuns = 20
	// Each operation runs benchWarmup times, then benchIterations times timed.
	benchWarmup     = 50
	benchIterations = 200
	benchRecipients = 10
)

// benchCSP lets the pages run their own scripts and compile wasm, nothing
// else.
const benchCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// benchKey is a persona as the page gets it: armored, unprotected.
type benchKey struct {
	Secret string `json:"secret"`
	Public string `json:"public"`
}

// benchSetup is what bench.setup returns.
type benchSetup struct {
	Author, Reader                        string
	TextBytes, DocumentBytes              int
	VeilMessageBytes, OpenpgpMessageBytes int
	KeyPackets                            int
	OpenpgpVersion, UserAgent             string
	CrossOriginIsolated                   bool
	WebCryptoX25519, WebCryptoEd25519     bool
}

// coldStart is what cold.js gives for one page load.
type coldStart struct {
	MS, InstantiateMS, RunMS, SinceNavigationMS float64
	CrossOriginIsolated                         bool
}

// browserBench is one run's measurements, in milliseconds.
type browserBench struct {
	setup   benchSetup
	cold    []coldStart
	samples map[string][]float64
	// coldOthers and opsOthers are how many cores the rest of the machine
	// (everything but this process and its children, Chromium's) used on
	// average during each part; -1 when unknown.
	coldOthers, opsOthers float64
}

// clockTicks is USER_HZ, the unit of /proc's CPU times on Linux.
const clockTicks = 100

// machineBusy is the CPU time, in ticks, all CPUs spent busy (/proc/stat).
func machineBusy() (float64, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var busy float64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		var n float64
		if _, err := fmt.Sscan(v, &n); err != nil {
			return 0, false
		}
		busy += n
	}
	return busy, true
}

// treeBusy is the CPU time, in ticks, of this process and its descendants,
// the reaped ones included (cutime, cstime).
func treeBusy() (float64, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	type proc struct {
		ppid int
		busy float64
	}
	procs := map[int]proc{}
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		// Fields after the command, which is in parentheses: state, ppid, …
		rest := string(data)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) < 15 {
			continue
		}
		var p proc
		fmt.Sscan(f[1], &p.ppid)
		for _, v := range f[11:15] { // utime, stime, cutime, cstime
			var n float64
			fmt.Sscan(v, &n)
			p.busy += n
		}
		procs[pid] = p
	}
	self := os.Getpid()
	var total float64
	for pid, p := range procs {
		for q, hops := pid, 0; q > 1 && hops < 64; q, hops = procs[q].ppid, hops+1 {
			if q == self {
				total += p.busy
				break
			}
			if _, ok := procs[q]; !ok {
				break
			}
		}
	}
	return total, true
}

// othersCPU measures from now until the func it returns is called how many
// cores, on average, the machine spent on anything but this benchmark.
func othersCPU() func() float64 {
	m0, ok0 := machineBusy()
	t0, ok1 := treeBusy()
	start := time.Now()
	return func() float64 {
		m1, ok2 := machineBusy()
		t1, ok3 := treeBusy()
		if !ok0 || !ok1 || !ok2 || !ok3 {
			return -1
		}
		return max(0, (m1-m0)-(t1-t0)) / clockTicks / time.Since(start).Seconds()
	}
}

func BenchmarkBrowser(b *testing.B) {
	if _, err := os.Stat(chromiumPath); err != nil {
		b.Skipf("the browser benchmark needs Chromium at %s (Debian package chromium: make setup SETUP_FLAGS=--browser)", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	openpgpJS := openpgpModule(b, ctx, root)
	wasm, wasmExec := buildWasm(b, ctx, root)
	raw, brotli := wasmSizes(b, wasm)
	keys := benchKeys(b)
	text := benchText(1024)

	files := filepath.Join("testdata", "browserbench")
	srv := httptest.NewServer(benchHandler(files, map[string]string{
		"/veil.wasm": wasm, "/wasm_exec.js": wasmExec, "/openpgp.min.mjs": openpgpJS,
	}))
	defer srv.Close()
	browserCtx := startBenchChromium(b)

	var r *browserBench
	b.ResetTimer()
	for range b.N {
		r = measureBrowser(b, browserCtx, srv.URL, keys, text)
	}
	b.StopTimer()
	reportBrowser(b, r, raw, brotli)
}

// openpgpModule is OpenPGP.js's ES module from node_modules (package.json
// pins the version), installed with npm ci when it is not there yet.
func openpgpModule(b *testing.B, ctx context.Context, root string) string {
	b.Helper()
	mod := filepath.Join(root, "node_modules", "openpgp", "dist", "openpgp.min.mjs")
	if _, err := os.Stat(mod); err == nil {
		return mod
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		b.Skipf("OpenPGP.js is not installed (%s is missing) and there is no npm to install it: run `npm ci --ignore-scripts` in %s", mod, root)
	}
	b.Logf("OpenPGP.js is not installed: npm ci --ignore-scripts in %s", root)
	cmd := exec.CommandContext(ctx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("npm ci: %v\n%s", err, out)
	}
	if _, err := os.Stat(mod); err != nil {
		b.Fatalf("npm ci installed no %s", mod)
	}
	return mod
}

// buildWasm builds veil.wasm from wasmclient/js as `make wasm` does and
// finds the toolchain's wasm_exec.js that runs it.
func buildWasm(tb testing.TB, ctx context.Context, root string) (wasm, wasmExec string) {
	tb.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		tb.Skipf("no go command: %v", err)
	}
	wasm = filepath.Join(tb.TempDir(), "veil.wasm")
	build := exec.CommandContext(ctx, gotool, "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, "./wasmclient/js")
	build.Dir = root
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("building veil.wasm: %v\n%s", err, out)
	}
	goroot, err := exec.CommandContext(ctx, gotool, "env", "GOROOT").Output()
	if err != nil {
		tb.Fatal(err)
	}
	wasmExec = filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(wasmExec); err != nil {
		wasmExec = filepath.Join(strings.TrimSpace(string(goroot)), "misc", "wasm", "wasm_exec.js")
	}
	return wasm, wasmExec
}

// wasmSizes are the wasm's size as built and compressed with brotli -q 11
// (-1 when the brotli command is missing).
func wasmSizes(tb testing.TB, wasm string) (raw, brotli int64) {
	tb.Helper()
	fi, err := os.Stat(wasm)
	if err != nil {
		tb.Fatal(err)
	}
	bin, err := exec.LookPath("brotli")
	if err != nil {
		return fi.Size(), -1
	}
	cmd := exec.Command(bin, "-c", "-q", "11", wasm)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	n, copyErr := io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil || copyErr != nil {
		tb.Fatalf("brotli: %v %v", err, copyErr)
	}
	return fi.Size(), n
}

// benchKeys are the author and the recipients: default-profile personas
// (v4, EdDSA primary, Curve25519 encryption subkey), without passphrases.
func benchKeys(b *testing.B) map[string]any {
	b.Helper()
	key := func(name string) benchKey {
		p, err := persona.New(persona.Options{Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", "")) + "@example.org"})
		if err != nil {
			b.Fatal(err)
		}
		if p.Profile() != persona.ProfileV4 {
			b.Fatalf("the default profile is %s, not v4", p.Profile())
		}
		sec, err := p.ArmoredSecretKey()
		if err != nil {
			b.Fatal(err)
		}
		pub, err := p.ArmoredPublicKey()
		if err != nil {
			b.Fatal(err)
		}
		return benchKey{Secret: string(sec), Public: string(pub)}
	}
	var rs []benchKey
	for i := range benchRecipients {
		rs = append(rs, key(fmt.Sprintf("Reader %d", i+1)))
	}
	return map[string]any{"author": key("Author"), "recipients": rs}
}

// benchText is n bytes of a post's text.
func benchText(n int) string {
	const line = "A post of a kilobyte, written in the browser and read there: Veil's wasm beside OpenPGP.js. "
	return strings.Repeat(line, n/len(line)+1)[:n]
}

// benchHandler serves the pages under dir and the files named in files,
// with the benchmark's CSP, cross-origin isolation and no caching.
func benchHandler(dir string, files map[string]string) http.Handler {
	types := map[string]string{
		".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm",
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", benchCSP)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		path, ok := files[r.URL.Path]
		if !ok {
			name := strings.TrimPrefix(r.URL.Path, "/")
			if name == "" || strings.Contains(name, "/") || strings.HasPrefix(name, ".") {
				http.NotFound(w, r)
				return
			}
			path = filepath.Join(dir, name)
		}
		ct, ok := types[filepath.Ext(path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", ct)
		_, _ = w.Write(data)
	})
}

// startBenchChromium starts headless Chromium with a fresh profile and
// returns the context of its first tab.
func startBenchChromium(b *testing.B) context.Context {
	b.Helper()
	return chromium(b, "bench")
}

// evalAwait evaluates a JavaScript expression, awaiting a Promise, and reads
// its value into out.
func evalAwait(ctx context.Context, timeout time.Duration, expr string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// measureBrowser takes one run's measurements: the cold starts, each in a
// browser context of its own, then the four operations in one page.
func measureBrowser(b *testing.B, browserCtx context.Context, base string, keys map[string]any, text string) *browserBench {
	b.Helper()
	r := &browserBench{}
	coldOthers := othersCPU()
	for i := range benchColdRuns + 1 {
		c, err := coldStartOnce(browserCtx, fmt.Sprintf("%s/cold.html?run=%d-%d", base, time.Now().UnixNano(), i))
		if err != nil {
			b.Fatalf("cold start %d: %v", i, err)
		}
		if i > 0 { // the first one is not counted: Chromium has just started
			r.cold = append(r.cold, c)
		}
	}
	r.coldOthers = coldOthers()

	tab, cancel, err := isolatedTab(browserCtx)
	if err != nil {
		b.Fatalf("a tab for the benchmark page: %v", err)
	}
	defer cancel()
	if err := chromedp.Run(tab, chromedp.Navigate(base+"/bench.html")); err != nil {
		b.Fatalf("loading the benchmark page: %v", err)
	}
	var ok bool
	if err := evalAwait(tab, time.Minute, `(async () => {
		while (typeof bench !== "object") await new Promise((r) => setTimeout(r, 10));
		await bench.ready;
		return true;
	})()`, &ok); err != nil {
		b.Fatalf("the benchmark page: %v", err)
	}
	in, err := json.Marshal(map[string]any{"author": keys["author"], "recipients": keys["recipients"], "text": text})
	if err != nil {
		b.Fatal(err)
	}
	if err := evalAwait(tab, 2*time.Minute, "bench.setup("+string(in)+")", &r.setup); err != nil {
		b.Fatalf("bench.setup: %v", err)
	}
	expr := fmt.Sprintf("bench.run({warmup: %d, iterations: %d})", benchWarmup, benchIterations)
	opsOthers := othersCPU()
	if err := evalAwait(tab, 15*time.Minute, expr, &r.samples); err != nil {
		b.Fatalf("bench.run: %v", err)
	}
	r.opsOthers = opsOthers()
	return r
}

// coldStartOnce loads cold.html in a new browser context (its own renderer,
// HTTP cache and compiled-code caches) with the cache disabled.
func coldStartOnce(browserCtx context.Context, url string) (coldStart, error) {
	var c coldStart
	tab, cancel, err := isolatedTab(browserCtx)
	if err != nil {
		return c, err
	}
	defer cancel()
	ctx, stop := context.WithTimeout(tab, time.Minute)
	defer stop()
	if err := chromedp.Run(ctx, network.Enable(), network.SetCacheDisabled(true), chromedp.Navigate(url)); err != nil {
		return c, err
	}
	err = evalAwait(tab, time.Minute, "coldStart", &c)
	return c, err
}

// isolatedTab opens a tab in a new browser context, in a window of its own:
// headless Chromium has no window for a new context's tab otherwise (and
// chromedp.WithNewBrowserContext asks for none). cancel closes both.
func isolatedTab(browserCtx context.Context) (context.Context, context.CancelFunc, error) {
	c := chromedp.FromContext(browserCtx)
	if c == nil || c.Browser == nil {
		return nil, nil, fmt.Errorf("no browser")
	}
	onBrowser := cdp.WithExecutor(browserCtx, c.Browser)
	id, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(onBrowser)
	if err != nil {
		return nil, nil, err
	}
	tid, err := target.CreateTarget("about:blank").WithBrowserContextID(id).WithNewWindow(true).Do(onBrowser)
	if err != nil {
		_ = target.DisposeBrowserContext(id).Do(onBrowser)
		return nil, nil, err
	}
	tab, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithTargetID(tid))
	return tab, func() {
		cancelTab()
		_ = target.DisposeBrowserContext(id).Do(onBrowser)
	}, nil
}

// quantile is the q-quantile of xs (nearest rank).
func quantile(xs []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func reportBrowser(b *testing.B, r *browserBench, raw, brotli int64) {
	b.Helper()
	col := func(f func(coldStart) float64) []float64 {
		var out []float64
		for _, c := range r.cold {
			out = append(out, f(c))
		}
		return out
	}
	cold := col(func(c coldStart) float64 { return c.MS })
	inst := col(func(c coldStart) float64 { return c.InstantiateMS })
	run := col(func(c coldStart) float64 { return c.RunMS })
	nav := col(func(c coldStart) float64 { return c.SinceNavigationMS })
	med := func(name string) float64 { return quantile(r.samples[name], 0.5) }
	vOpen, pOpen, vSeal, pSeal := med("veilOpen"), med("openpgpOpen"), med("veilSeal"), med("openpgpSeal")

	b.ReportMetric(0, "ns/op") // the whole run's time says nothing
	b.ReportMetric(quantile(cold, 0.5), "cold-start-ms")
	b.ReportMetric(quantile(cold, 0.9), "cold-start-p90-ms")
	b.ReportMetric(vOpen, "open-veil-ms")
	b.ReportMetric(pOpen, "open-openpgpjs-ms")
	b.ReportMetric(vOpen/pOpen, "open-veil/openpgpjs")
	b.ReportMetric(vSeal, "seal10-veil-ms")
	b.ReportMetric(pSeal, "seal10-openpgpjs-ms")
	b.ReportMetric(vSeal/pSeal, "seal10-veil/openpgpjs")
	b.ReportMetric(float64(raw), "wasm-bytes")
	b.ReportMetric(max(r.coldOthers, r.opsOthers), "other-cores")
	if brotli >= 0 {
		b.ReportMetric(float64(brotli), "wasm-brotli-bytes")
	}

	s := r.setup
	isolated := s.CrossOriginIsolated && !slices.ContainsFunc(r.cold, func(c coldStart) bool { return !c.CrossOriginIsolated })
	// testing keeps 10 lines of a benchmark's log: the table fits in 9.
	var t strings.Builder
	fmt.Fprintf(&t, "%s; %s; WebCrypto X25519 %v, Ed25519 %v; 5 µs timers (cross-origin isolated): %v; the rest of the machine used %.2f cores during the cold starts, %.2f during the operations\n",
		s.UserAgent, s.OpenpgpVersion, s.WebCryptoX25519, s.WebCryptoEd25519, isolated, r.coldOthers, r.opsOthers)
	fmt.Fprintf(&t, "post: %d bytes of text, a %d-byte document; Veil's message %d bytes (%d key packets), OpenPGP.js's %d bytes\n",
		s.TextBytes, s.DocumentBytes, s.VeilMessageBytes, s.KeyPackets, s.OpenpgpMessageBytes)
	fmt.Fprintf(&t, "| what | target | Veil | OpenPGP.js | Veil/OpenPGP.js |\n| --- | --- | ---: | ---: | ---: |\n")
	fmt.Fprintf(&t, "| wasm cold start, median / p90 of %d: fetch, compile, instantiate, go.run until newVeil resolves | ≤ 150 ms | %.1f / %.1f ms "+
		"(medians: instantiateStreaming %.1f, go.run+newVeil %.1f; %.1f from navigation) | | |\n",
		len(cold), quantile(cold, 0.5), quantile(cold, 0.9), quantile(inst, 0.5), quantile(run, 0.5), quantile(nav, 0.5))
	row := func(what, target, v, p string) {
		vs, ps := r.samples[v], r.samples[p]
		fmt.Fprintf(&t, "| %s | %s | %.3f ms (p90 %.3f) | %.3f ms (p90 %.3f) | %.2f |\n", what, target,
			quantile(vs, 0.5), quantile(vs, 0.9), quantile(ps, 0.5), quantile(ps, 0.9), quantile(vs, 0.5)/quantile(ps, 0.5))
	}
	row(fmt.Sprintf("decrypt + verify 1 KiB, median of %d", len(r.samples["veilOpen"])), "ratio ≤ 1.0", "veilOpen", "openpgpOpen")
	row(fmt.Sprintf("encrypt + sign 1 KiB to %d recipients (+ author), median of %d", benchRecipients, len(r.samples["veilSeal"])), "ratio ≤ 1.0", "veilSeal", "openpgpSeal")
	br := "brotli not installed"
	if brotli >= 0 {
		br = fmt.Sprintf("%.2f MiB brotli -q 11 (%d bytes)", float64(brotli)/(1<<20), brotli)
	}
	fmt.Fprintf(&t, "| wasm size | ≤ 2 MiB brotli | %.2f MiB raw (%d bytes), %s | | |\n", float64(raw)/(1<<20), raw, br)
	b.Logf("browser benchmark: %s", t.String())
}
