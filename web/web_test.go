package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// get asks h for path and returns the response and its body.
func get(t *testing.T, h http.Handler, target string, header ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func checkSecure(t *testing.T, target string, res *http.Response) {
	t.Helper()
	if got := res.Header.Get("Content-Security-Policy"); got != CSP {
		t.Errorf("%s: Content-Security-Policy %q, want %q", target, got, CSP)
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", target, got)
	}
	if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s: Referrer-Policy %q", target, got)
	}
}

const testCID = "bafkreiedyj6xyazcrw6gttirkkh3wtugqyrqf76zocxnjkuhprfnvvkaeu"

func TestPages(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		path, script string
		want         []string
	}{
		{"/", "dashboard.js", []string{`id="health"`, `id="storage-blocks"`, `id="peer-id"`, `id="stake-card"`}},
		{"/keys", "keys.js", []string{`id="lookup-form"`, `id="results"`}},
		{"/keys?handle=twitter:alice", "keys.js", nil},
		{"/p/" + testCID, "post.js", []string{`data-cid="` + testCID + `"`, `id="metadata"`, `id="status"`}},
		{"/p/", "post.js", []string{`data-cid=""`}}, // an inline post: /p/#v1.…
	} {
		res, body := get(t, h, tc.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", tc.path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tc.path, ct)
		}
		checkSecure(t, tc.path, res)
		if want := `<script type="module" src="/web/` + tc.script + `"></script>`; !strings.Contains(body, want) {
			t.Errorf("%s: page does not load %s", tc.path, tc.script)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %s", tc.path, w)
			}
		}
	}
}

func TestHead(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/keys", "/p/" + testCID, "/web/style.css"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, p, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("HEAD %s: status %d", p, rec.Code)
		}
	}
}

func TestBadCID(t *testing.T) {
	h := Handler()
	for _, bad := range []string{"notacid", "bafkrei", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "Qm" + strings.Repeat("x", 300)} {
		res, body := get(t, h, "/p/"+bad)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("/p/%s: status %d, want 400", bad, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("/p/%s: Content-Type %q", bad, ct)
		}
		checkSecure(t, "/p/"+bad, res)
		if !strings.Contains(body, "Not a Veil post link") || !strings.Contains(body, "is not a content ID (CID)") {
			t.Errorf("/p/%s: the page does not say what is wrong:\n%s", bad, body)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("/p/%s: the link's text reached the page unescaped", bad)
		}
		if strings.Contains(body, "post.js") {
			t.Errorf("/p/%s: the error page loads the viewer", bad)
		}
	}
}

func TestNotFound(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/web/nope.js", "/web/", "/web/static/style.css", "/web/layout.html", "/nope"} {
		res, _ := get(t, h, p)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, res.StatusCode)
		}
		checkSecure(t, p, res)
	}
	// A path out of /web/ is cleaned (a redirect) and never reaches a file.
	for _, p := range []string{"/web/../templates/layout.html", "/web/%2e%2e/templates/layout.html"} {
		res, body := get(t, h, p)
		if res.StatusCode == http.StatusOK || strings.Contains(body, "{{") {
			t.Errorf("%s: status %d, body %q", p, res.StatusCode, body)
		}
	}
}

func TestStatic(t *testing.T) {
	h := Handler()
	want := map[string]string{
		"style.css":    "text/css; charset=utf-8",
		"common.js":    "text/javascript; charset=utf-8",
		"dashboard.js": "text/javascript; charset=utf-8",
		"keys.js":      "text/javascript; charset=utf-8",
		"post.js":      "text/javascript; charset=utf-8",
		"packets.js":   "text/javascript; charset=utf-8",
		"icon.svg":     "image/svg+xml",
	}
	if HasWasm() {
		want["veil.wasm"] = "application/wasm"
		want["wasm_exec.js"] = "text/javascript; charset=utf-8"
	}
	for name, ctype := range want {
		p := "/web/" + name
		res, body := get(t, h, p)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", p, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type %q, want %q", p, got, ctype)
		}
		checkSecure(t, p, res)
		orig, err := fs.ReadFile(files, "static/"+name)
		if err != nil || body != string(orig) {
			t.Errorf("%s: served something else than static/%s (%v)", p, name, err)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", p)
			continue
		}
		if res, _ := get(t, h, p, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: status %d, want 304", p, res.StatusCode)
		}
	}
}

// withWasm is the embedded files plus stand-ins for the build's wasm files.
func withWasm(t *testing.T) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m["static/veil.wasm"] = &fstest.MapFile{Data: []byte("\x00asm\x01\x00\x00\x00")}
	m["static/wasm_exec.js"] = &fstest.MapFile{Data: []byte("// the Go toolchain's wasm_exec.js\n")}
	return m
}

// withoutWasm is the embedded files without the build's wasm files.
func withoutWasm(t *testing.T) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	for p, f := range withWasm(t).(fstest.MapFS) {
		if p != "static/veil.wasm" && p != "static/wasm_exec.js" {
			m[p] = f
		}
	}
	return m
}

// The viewer offers decryption in the page only when the build has the
// wasm, and keeps the ids that browser tests drive.
func TestViewerWasm(t *testing.T) {
	ids := []string{`id="key-input"`, `id="passphrase-input"`, `id="decrypt-button"`, `id="plaintext"`, `id="status"`}
	t.Run("with", func(t *testing.T) {
		s, err := newSite(withWasm(t))
		if err != nil {
			t.Fatal(err)
		}
		if !s.wasm {
			t.Fatal("the wasm files are there but the site does not see them")
		}
		h := s.handler()
		_, body := get(t, h, "/p/"+testCID)
		for _, id := range ids {
			if !strings.Contains(body, id) {
				t.Errorf("viewer lacks %s", id)
			}
		}
		if !strings.Contains(body, `data-wasm="true"`) || strings.Contains(body, `id="no-wasm"`) {
			t.Error("viewer does not offer decryption in the page")
		}
		for p, ctype := range map[string]string{WasmPath: "application/wasm", WasmExecPath: "text/javascript; charset=utf-8"} {
			res, _ := get(t, h, p)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != ctype {
				t.Errorf("%s: status %d, Content-Type %q", p, res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
	})
	t.Run("without", func(t *testing.T) {
		s, err := newSite(withoutWasm(t))
		if err != nil {
			t.Fatal(err)
		}
		h := s.handler()
		_, body := get(t, h, "/p/"+testCID)
		if !strings.Contains(body, `id="no-wasm"`) || !strings.Contains(body, "not available in this build") {
			t.Errorf("viewer does not say that decryption is not available:\n%s", body)
		}
		if strings.Contains(body, `id="key-input"`) || !strings.Contains(body, `data-wasm="false"`) {
			t.Error("viewer asks for a key it cannot use")
		}
		for _, p := range []string{WasmPath, WasmExecPath} {
			if res, _ := get(t, h, p); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", p, res.StatusCode)
			}
		}
	})
}

// The viewer's script loads the wasm from where the site serves it.
func TestViewerWasmPaths(t *testing.T) {
	src, err := fs.ReadFile(files, "static/post.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`export const WASM = "` + WasmPath + `";`, `export const WASM_EXEC = "` + WasmExecPath + `";`} {
		if !strings.Contains(string(src), w) {
			t.Errorf("post.js lacks %s", w)
		}
	}
}

// buildProducts are the files static/ gets from the build (the Go
// toolchain's wasm_exec.js and the client's wasm), not written here.
var buildProducts = map[string]bool{"static/veil.wasm": true, "static/wasm_exec.js": true}

// Nothing the pages load comes from another origin, and nothing needs what
// the CSP forbids (inline scripts, inline styles, event handler attributes).
func TestNoExternalReferences(t *testing.T) {
	var (
		anyURL        = regexp.MustCompile(`(?i)\b(https?|wss?|ftp):/{2}[^\s"'<>)]*`)
		protoRelative = regexp.MustCompile(`(?i)(src|href|action|srcset|poster|data)\s*=\s*["']?//|url\(\s*["']?//|@import|["'\x60]//[a-z0-9.-]+\.[a-z]{2,}`)
		inlineScript  = regexp.MustCompile(`(?i)<script(\s[^>]*)?>`)
		inlineStyle   = regexp.MustCompile(`(?i)<style[\s>]|\sstyle\s*=`)
		handlerAttr   = regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`)
		jsURL         = regexp.MustCompile(`(?i)javascript:`)
		unsafeDOM     = regexp.MustCompile(`\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	)
	// Namespaces are names, not addresses that anything loads.
	allowed := map[string]bool{"http://www.w3.org/2000/svg": true}
	n := 0
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || buildProducts[p] {
			return err
		}
		n++
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		text := string(b)
		for _, u := range anyURL.FindAllString(text, -1) {
			if !allowed[u] {
				t.Errorf("%s names an external URL: %s", p, u)
			}
		}
		if m := protoRelative.FindString(text); m != "" {
			t.Errorf("%s loads from another origin or imports a stylesheet: %s", p, m)
		}
		if m := jsURL.FindString(text); m != "" {
			t.Errorf("%s has a javascript: URL", p)
		}
		switch path.Ext(p) {
		case ".html":
			for _, tag := range inlineScript.FindAllString(text, -1) {
				if !strings.Contains(tag, "src=") {
					t.Errorf("%s has an inline script: %s", p, tag)
				}
			}
			if m := inlineStyle.FindString(text); m != "" {
				t.Errorf("%s has an inline style: %q", p, m)
			}
			if m := handlerAttr.FindString(text); m != "" {
				t.Errorf("%s has an event handler attribute: %q", p, m)
			}
		case ".js":
			if m := unsafeDOM.FindString(text); m != "" {
				t.Errorf("%s writes HTML or evaluates code: %q", p, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("scanned %d files: the embedded tree is not what the test expects", n)
	}
}

// Every file a page or a script refers to under /web/ is there.
func TestReferencesResolve(t *testing.T) {
	s := load()
	ref := regexp.MustCompile(`"/web/([^"{}]+)"|from "\./([^"]+)"`)
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || buildProducts[p] {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			name := m[1] + m[2]
			if buildProducts["static/"+name] {
				continue // optional: the viewer checks data-wasm first
			}
			if _, ok := s.assets[name]; !ok {
				t.Errorf("%s refers to /web/%s, which is not in static/", p, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The templates load their page's script through {{.Script}}.
	for _, script := range []string{"dashboard.js", "keys.js", "post.js"} {
		if _, ok := s.assets[script]; !ok {
			t.Errorf("static/%s is missing", script)
		}
	}
}

// New with a WasmDir serves that directory's wasm files, in place of any
// embedded ones, and the viewer offers decryption; a directory without
// them is an error.
func TestWasmDir(t *testing.T) {
	dir := t.TempDir()
	wasm := []byte("\x00asm\x01\x00\x00\x00from the directory")
	exec := []byte("// wasm_exec.js from the directory\n")
	if err := os.WriteFile(filepath.Join(dir, "veil.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), exec, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, fsys := range map[string]fs.FS{"embedded without": withoutWasm(t), "embedded with": withWasm(t)} {
		t.Run(name, func(t *testing.T) {
			base, err := newSite(fsys)
			if err != nil {
				t.Fatal(err)
			}
			s, err := base.withWasmDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !s.wasm {
				t.Error("the site does not see the directory's wasm")
			}
			h := s.handler()
			if _, body := get(t, h, "/p/"+testCID); !strings.Contains(body, `data-wasm="true"`) || !strings.Contains(body, `id="key-input"`) {
				t.Error("viewer does not offer decryption in the page")
			}
			for p, want := range map[string][]byte{WasmPath: wasm, WasmExecPath: exec} {
				res, body := get(t, h, p)
				if res.StatusCode != http.StatusOK || body != string(want) {
					t.Errorf("%s: status %d, body %q, want the directory's file", p, res.StatusCode, body)
				}
				checkSecure(t, p, res)
				etag := res.Header.Get("ETag")
				if etag == "" {
					t.Errorf("%s: no ETag", p)
					continue
				}
				if res, _ := get(t, h, p, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
					t.Errorf("%s with If-None-Match: status %d, want 304", p, res.StatusCode)
				}
			}
			if res, _ := get(t, h, WasmPath); res.Header.Get("Content-Type") != "application/wasm" {
				t.Errorf("%s: Content-Type %q", WasmPath, res.Header.Get("Content-Type"))
			}
			// The rest is still the embedded files.
			if res, _ := get(t, h, "/web/style.css"); res.StatusCode != http.StatusOK {
				t.Errorf("/web/style.css: status %d", res.StatusCode)
			}
			// The site it was made from is unchanged.
			if res, _ := get(t, base.handler(), WasmPath); base.wasm != (res.StatusCode == http.StatusOK) {
				t.Errorf("the site without the directory changed: %s status %d", WasmPath, res.StatusCode)
			}
		})
	}

	t.Run("rebuilt", func(t *testing.T) {
		site, err := New(Options{WasmDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if !site.HasWasm() {
			t.Error("HasWasm is false with a WasmDir")
		}
		res, _ := get(t, site, WasmPath)
		etag := res.Header.Get("ETag")
		later := time.Now().Add(time.Minute)
		newer := append(wasm[:len(wasm):len(wasm)], " rebuilt"...)
		if err := os.WriteFile(filepath.Join(dir, "veil.wasm"), newer, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(dir, "veil.wasm"), later, later); err != nil {
			t.Fatal(err)
		}
		res, body := get(t, site, WasmPath, "If-None-Match", etag)
		if res.StatusCode != http.StatusOK || body != string(newer) {
			t.Errorf("a rebuilt wasm: status %d, body %q", res.StatusCode, body)
		}
	})

	t.Run("missing", func(t *testing.T) {
		for _, missing := range wasmFiles {
			bad := t.TempDir()
			for _, name := range wasmFiles {
				if name != missing {
					if err := os.WriteFile(filepath.Join(bad, name), []byte("x"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			_, err := New(Options{WasmDir: bad})
			if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "has no "+missing) {
				t.Errorf("a directory without %s: error %v", missing, err)
			}
		}
		if _, err := New(Options{WasmDir: filepath.Join(dir, "nope")}); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("a directory that does not exist: error %v", err)
		}
		if _, err := New(Options{WasmDir: filepath.Join(dir, "veil.wasm")}); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("a file for a directory: error %v", err)
		}
	})

	t.Run("none", func(t *testing.T) {
		site, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if site.HasWasm() != HasWasm() {
			t.Error("New without a WasmDir differs from the embedded site")
		}
	})
}
