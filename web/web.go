package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
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
// them into static/ (see the package doc).
const (
	WasmPath     = "/web/veil.wasm"
	WasmExecPath = "/web/wasm_exec.js"
)

//go:embed static templates
var files embed.FS

// site is what Handler serves, read from files once.
type site struct {
	fsys   fs.FS                         // holds static/ and templates/
	pages  map[string]*template.Template // by file name under templates/, without the layout
	assets map[string]asset              // by path under /web/
	wasm   bool                          // static/ holds veil.wasm and wasm_exec.js
}

// asset is one file of static/.
type asset struct {
	name  string // under static/
	ctype string
	etag  string
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
	s := &site{fsys: fsys, pages: map[string]*template.Template{}, assets: map[string]asset{}}
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
		s.assets[rel] = asset{name: p, ctype: ctype, etag: `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	_, hasWasm := s.assets[strings.TrimPrefix(WasmPath, "/web/")]
	_, hasExec := s.assets[strings.TrimPrefix(WasmExecPath, "/web/")]
	s.wasm = hasWasm && hasExec
	return s, nil
}

// HasWasm reports whether this build embeds the client's wasm, with which
// the post viewer decrypts in the page.
func HasWasm() bool { return load().wasm }

// Handler serves the web front: GET (and HEAD) /, /keys, /p/, /p/{cid} and
// /web/{file}. Any other path is a 404 page.
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

// static serves a file of static/ by its name under /web/.
func (s *site) static(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.PathValue("file")]
	if !ok {
		secure(w.Header())
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	f, err := s.fsys.Open(a.name)
	if err != nil {
		secure(w.Header())
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	defer f.Close()
	h := w.Header()
	secure(h)
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
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
