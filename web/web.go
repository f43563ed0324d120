package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
)

// CSP is the Content-Security-Policy of every response: the page's own
// scripts, styles, images and requests only, WebAssembly compilation (for
// veil.wasm) but no eval, no inline script or style, and no framing.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

// Paths of the client's wasm under /web/, present when the build copied
// them into static/ (see the package doc) or Options.WasmDir holds them.
const (
	WasmPath     = "/web/veil.wasm"
	WasmExecPath = "/web/wasm_exec.js"
)

//go:embed static templates
var files embed.FS

// site is what Handler serves, read from files once.
type site struct {
	pages  map[string]*template.Template // by file name under templates/, without the layout
	assets map[string]asset              // by path under /web/
	wasm   bool                          // assets hold veil.wasm and wasm_exec.js
}

// asset is one file served under /web/: one of static/, or of
// Options.WasmDir.
type asset struct {
	fsys  fs.FS
	name  string // in fsys
	ctype string
	// etag is the hash of an embedded file; "" for a file of WasmDir,
	// whose tag follows its size and modification time, so a rebuilt
	// wasm is sent again.
	etag string
}

// contentTypes are the types of the files static/ may hold, by extension;
// a file of another kind is not served.
var contentTypes = map[string]string{
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".wasm": "application/wasm",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".txt":  "text/plain; charset=utf-8",
}

var load = sync.OnceValue(func() *site {
	s, err := newSite(files)
	if err != nil {
		panic(err) // the embedded files are part of the binary: a test catches this
	}
	return s
})

func newSite(fsys fs.FS) (*site, error) {
	s := &site{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	pages, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := path.Base(p)
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).ParseFS(fsys, "templates/layout.html", p)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		s.pages[name] = t
	}
	err = fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "static/")
		s.assets[rel] = asset{fsys: fsys, name: p, ctype: ctype, etag: `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	_, hasWasm := s.assets[wasmFiles[0]]
	_, hasExec := s.assets[wasmFiles[1]]
	s.wasm = hasWasm && hasExec
	return s, nil
}

// wasmFiles are the names of the client's wasm files under /web/ and in
// Options.WasmDir.
var wasmFiles = [2]string{strings.TrimPrefix(WasmPath, "/web/"), strings.TrimPrefix(WasmExecPath, "/web/")}

// withWasmDir is s serving the wasm files of dir in place of any embedded
// ones. Both must be there.
func (s *site) withWasmDir(dir string) (*site, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("web: wasm directory %s: %w", dir, err)
	}
	switch fi, err := os.Stat(abs); {
	case err != nil:
		return nil, fmt.Errorf("web: wasm directory: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("web: wasm directory %s is not a directory", abs)
	}
	out := &site{pages: s.pages, assets: maps.Clone(s.assets), wasm: true}
	fsys := os.DirFS(abs)
	for _, name := range wasmFiles {
		fi, err := fs.Stat(fsys, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("web: wasm directory %s has no %s (make wasm builds bin/veil.wasm and copies bin/wasm_exec.js)", abs, name)
		case err != nil:
			return nil, fmt.Errorf("web: wasm directory %s: %w", abs, err)
		case !fi.Mode().IsRegular():
			return nil, fmt.Errorf("web: wasm directory %s: %s is not a regular file", abs, name)
		}
		out.assets[name] = asset{fsys: fsys, name: name, ctype: contentTypes[path.Ext(name)]}
	}
	return out, nil
}

// Options change what New serves.
type Options struct {
	// WasmDir, when not empty, is a directory holding veil.wasm and
	// wasm_exec.js (bin/ after `make wasm`). They are served at WasmPath and
	// WasmExecPath, in place of any embedded copies, and the post viewer
	// decrypts with them: a relay built without the wasm gets it this way.
	WasmDir string
}

// Site is the web front as one relay serves it; it is an http.Handler
// for GET (and HEAD) /, /keys, /p/, /p/{cid} and /web/{file}.
type Site struct {
	s *site
	h http.Handler
}

// New returns the web front with the embedded files and opts. It fails when
// opts.WasmDir lacks veil.wasm or wasm_exec.js.
func New(opts Options) (*Site, error) {
	s := load()
	if opts.WasmDir != "" {
		var err error
		if s, err = s.withWasmDir(opts.WasmDir); err != nil {
			return nil, err
		}
	}
	return &Site{s: s, h: s.handler()}, nil
}

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// HasWasm reports whether the post viewer of this site decrypts in the
// page: the build embeds the client's wasm, or Options.WasmDir holds it.
func (s *Site) HasWasm() bool { return s.s.wasm }

// HasWasm reports whether this build embeds the client's wasm, with which
// the post viewer decrypts in the page (Site.HasWasm also counts
// Options.WasmDir).
func HasWasm() bool { return load().wasm }

// Handler serves the web front with the embedded files only (New with no
// Options): GET (and HEAD) /, /keys, /p/, /p/{cid} and /web/{file}. Any
// other path is a 404 page.
func Handler() http.Handler { return load().handler() }

func (s *site) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.dashboard)
	mux.HandleFunc("GET /keys", s.keys)
	mux.HandleFunc("GET /p/{$}", s.post)
	mux.HandleFunc("GET /p/{cid}", s.post)
	mux.HandleFunc("GET /web/{file...}", s.static)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, "Page not found", "There is no page at this address.")
	})
	return mux
}

// page is what the templates get.
type page struct {
	Title  string
	Script string // a module under /web/, or ""
	Nav    string // which link of the header is this page

	CID  string // the post's CID (/p/{cid}), "" for /p/ (inline post in the fragment)
	Wasm bool   // the viewer can decrypt in the page

	Message string // error page
}

func (s *site) dashboard(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "dashboard.html", page{Title: "Relay", Script: "dashboard.js", Nav: "node"})
}

func (s *site) keys(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "keys.html", page{Title: "Key lookup", Script: "keys.js", Nav: "keys"})
}

// post serves the viewer for /p/{cid}, and for /p/ (a post inline in the
// link's fragment, which only the page's script sees).
func (s *site) post(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Encrypted Veil post", Script: "post.js", Wasm: s.wasm}
	if text := r.PathValue("cid"); text != "" {
		c, err := cid.Decode(text)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "Not a Veil post link",
				fmt.Sprintf("This link does not name a post: %q is not a content ID (CID). "+
					"A Veil link looks like /p/bafkrei…; check that it was copied whole.", truncate(text, 100)))
			return
		}
		p.CID = c.String()
	}
	s.render(w, http.StatusOK, "post.html", p)
}

func (s *site) fail(w http.ResponseWriter, status int, title, msg string) {
	s.render(w, status, "error.html", page{Title: title, Message: msg})
}

func (s *site) render(w http.ResponseWriter, status int, name string, p page) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		secure(w.Header())
		http.Error(w, "the page failed to render", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	secure(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// static serves a file of static/ (or of Options.WasmDir) by its name
// under /web/.
func (s *site) static(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.PathValue("file")]
	if !ok {
		secure(w.Header())
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	f, err := a.fsys.Open(a.name)
	if err != nil {
		secure(w.Header())
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	defer f.Close()
	etag := a.etag
	if etag == "" {
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			secure(w.Header())
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		etag = fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano())
	}
	h := w.Header()
	secure(h)
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", etag)
	// Revalidate every time: the files change with the relay's version,
	// and a 304 costs one round trip.
	h.Set("Cache-Control", "no-cache")
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "file not seekable", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, rs)
}

// secure sets the headers every response of the web front carries.
func secure(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
