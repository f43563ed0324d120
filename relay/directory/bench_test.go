package directory

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
)

// benchKeys is how many keys the benchmark directory holds.
const benchKeys = 1000

// BenchmarkLookup measures lookups through the HTTP handler (echo's
// ServeHTTP, as the relay mounts it) in a directory of benchKeys keys kept
// in leveldb, with RunParallel on all GOMAXPROCS. The "tcp" cases go through
// a real loopback server and Go's HTTP client with keep-alive.
func BenchmarkLookup(b *testing.B) {
	d := newDir(b, Options{})
	fprs := make([]string, benchKeys)
	emails := make([]string, benchKeys)
	for i := range benchKeys {
		emails[i] = fmt.Sprintf("user%d@example.org", i)
		p := newPersona(b, fmt.Sprintf("User %d", i), emails[i])
		res, err := d.Submit(ctx, publicKey(b, p))
		if err != nil {
			b.Fatal(err)
		}
		fprs[i] = res.Keys[0].Fingerprint
	}
	e := echo.New()
	e.HTTPErrorHandler = api.ErrorHandler(quiet)
	d.Register(e)

	paths := map[string]func(i int) string{
		"fingerprint": func(i int) string { return "/v1/keys/" + fprs[i] },
		"email":       func(i int) string { return "/v1/keys?email=" + emails[i] },
		"hkp-get":     func(i int) string { return "/pks/lookup?op=get&options=mr&search=0x" + fprs[i] },
		"vks-email":   func(i int) string { return "/vks/v1/by-email/" + emails[i] },
	}
	for _, name := range []string{"fingerprint", "email", "hkp-get", "vks-email"} {
		path := paths[name]
		b.Run(name, func(b *testing.B) {
			var next atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1)) % benchKeys
					rec := httptest.NewRecorder()
					e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path(i), nil))
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", path(i), rec.Code, rec.Body)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
	}

	ts := httptest.NewServer(e)
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, name := range []string{"fingerprint", "email"} {
		path := paths[name]
		b.Run("tcp-"+name, func(b *testing.B) {
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1)) % benchKeys
					resp, err := client.Get(ts.URL + path(i))
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("%s: %d", path(i), resp.StatusCode)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}
