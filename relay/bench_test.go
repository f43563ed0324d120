package relay

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veilsocial/veil/internal/redistest"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// benchClient is an HTTP client that keeps enough connections open for
// the parallel load.
func benchClient(b *testing.B) *http.Client {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 30 * time.Second}
	b.Cleanup(hc.CloseIdleConnections) // before the node's shutdown
	return hc
}

func opsPerSec(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

// BenchmarkUploadHTTP: 1 KiB messages uploaded over loopback HTTP by
// concurrent clients, each acknowledged only once durable. "cluster" runs
// the node with a second one on the same Redis: each upload is also
// appended to the cluster log before it is acknowledged, and the second
// node applies them all (reported: how long it trailed at the end).
func BenchmarkUploadHTTP(b *testing.B) {
	unlimited := func(c *Config) { c.RateAnon, c.BurstAnon, c.QuotaAnon = 1e9, 1<<30, 1<<40 }
	b.Run("single", func(b *testing.B) { benchUpload(b, startNode(b, unlimited), nil) })
	b.Run("cluster", func(b *testing.B) {
		srv := redistest.Start(b)
		onRedis := func(c *Config) { unlimited(c); c.Redis = srv.URL() }
		benchUpload(b, startNode(b, onRedis), startNode(b, onRedis))
	})
}

func benchUpload(b *testing.B, n, sibling *Node) {
	hc := benchClient(b)
	url := n.URL() + "/v1/blobs"
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			msg := fakeMessage(1024)
			resp, err := hc.Post(url, "application/octet-stream", bytes.NewReader(msg))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	opsPerSec(b, start)
	if sibling != nil {
		caught := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := sibling.cluster.CatchUp(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(caught).Milliseconds()), "sibling-lag-ms")
	}
}

// BenchmarkGetHTTP: 1 KiB blobs fetched over loopback HTTP.
func BenchmarkGetHTTP(b *testing.B) {
	n := startNode(b, func(c *Config) { c.RateRead, c.BurstRead = 1e9, 1<<30 })
	c := client(b, n)
	var urls []string
	for range 256 {
		id, err := c.Upload(context.Background(), fakeMessage(1024), relayclient.UploadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		urls = append(urls, n.URL()+"/v1/blobs/"+id.String())
	}
	getAll(b, urls)
}

// BenchmarkLookupHTTP: key lookups by fingerprint over loopback HTTP
// (JSON API) against a directory of 200 keys.
func BenchmarkLookupHTTP(b *testing.B) {
	n := startNode(b, func(c *Config) { c.RateRead, c.BurstRead = 1e9, 1<<30 })
	c := client(b, n)
	var urls []string
	for i := range 200 {
		p, err := persona.New(persona.Options{Name: "K", Email: "k" + string(rune('a'+i%26)) + "@example.org"})
		if err != nil {
			b.Fatal(err)
		}
		pub, _ := p.ArmoredPublicKey()
		if _, err := c.PublishKey(context.Background(), pub); err != nil {
			b.Fatal(err)
		}
		urls = append(urls, n.URL()+"/pks/lookup?op=get&search=0x"+p.Fingerprint())
	}
	getAll(b, urls)
}

// getAll GETs the URLs round robin from 16 concurrent clients and reports
// requests per second.
func getAll(b *testing.B, urls []string) {
	hc := benchClient(b)
	var i atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Get(urls[i.Add(1)%int64(len(urls))])
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	opsPerSec(b, start)
}
