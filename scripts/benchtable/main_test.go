package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/veilsocial/veil/wasmclient/envelope
cpu: AMD EPYC 7B13
BenchmarkEncrypt/recipients=10-2         	     900	   1234567 ns/op	  12.50 MB/s	   45678 B/op	     321 allocs/op
BenchmarkEncrypt/recipients=10-2         	    1000	   1234999 ns/op	  12.40 MB/s	   45678 B/op	     321 allocs/op
BenchmarkEncrypt/recipients=10-2         	    1000	   1300000 ns/op	  12.00 MB/s	   45678 B/op	     321 allocs/op
BenchmarkDecrypt|Verify-2
    envelope_test.go:42: a log line
BenchmarkDecrypt|Verify-2                	   20000	     61234 ns/op	         2.000 sigs/op	    1024 B/op	      12 allocs/op
PASS
ok  	github.com/veilsocial/veil/wasmclient/envelope	5.123s
goos: linux
goarch: amd64
pkg: github.com/veilsocial/veil
cpu: AMD EPYC 7B13
BenchmarkRoot-2   	 5000000	       0.4567 ns/op	       0 B/op	       0 allocs/op
PASS
`

func TestTable(t *testing.T) {
	rep, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if rep.failed {
		t.Error("a passing run was read as failed")
	}
	var b strings.Builder
	rep.write(&b, "github.com/veilsocial/veil")
	want := `goos: linux, goarch: amd64, cpu: AMD EPYC 7B13, GOMAXPROCS: 2

| package | benchmark | ns/op | B/op | allocs/op | MB/s | sigs/op | runs |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
| wasmclient/envelope | Encrypt/recipients=10 | 1,234,999 | 45,678 | 321 | 12.4 |  | 3 |
| wasmclient/envelope | Decrypt\|Verify | 61,234 | 1,024 | 12 |  | 2 | 1 |
| . | Root | 0.457 | 0 | 0 |  |  | 1 |
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestFailureIsReported(t *testing.T) {
	rep, err := parse(strings.NewReader("pkg: example.org/p\nBenchmarkX-2  10  5 ns/op\n--- FAIL: BenchmarkY-2\nFAIL\texample.org/p\t0.1s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.failed {
		t.Error("a failing run was not reported")
	}
	if len(rep.results) != 1 {
		t.Errorf("got %d results, want 1", len(rep.results))
	}
}

func TestMixedProcsKeepsNames(t *testing.T) {
	rep, err := parse(strings.NewReader("BenchmarkA-2  10  5 ns/op\nBenchmarkB/size-1024  10  5 ns/op\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.commonProcs(); p != "" {
		t.Errorf("commonProcs = %q for names with different suffixes, want none", p)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{7, "7"},
		{0.4567, "0.457"},
		{1.5, "1.50"},
		{12.34, "12.3"},
		{152.6, "153"},
		{1234567, "1,234,567"},
		{-1234.4, "-1,234"},
	} {
		if got := formatValue(tc.in); got != tc.want {
			t.Errorf("formatValue(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
