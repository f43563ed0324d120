// Command benchtable turns the output of `go test -bench` into a Markdown table, one row per benchmark, with
// ns/op, B/op, allocs/op and every other metric the benchmarks report (MB/s from b.SetBytes, units from
// b.ReportMetric). `make bench` pipes bin/bench.txt through it; the table is meant for docs/BENCHMARKS.md.
//
//	go test -run='^$' -bench=. -benchmem ./... | go run ./scripts/benchtable
//
// A benchmark that ran several times (-count) gets the median of each metric and a runs column. The
// "-N" GOMAXPROCS suffix is dropped from names when every benchmark carries the same one, and reported once
// above the table instead. It exits 1 when the input reports a failure.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	module := flag.String("module", "github.com/veilsocial/veil", "module path trimmed from package names")
	flag.Parse()
	rep, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(rep.results) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results in the input")
		if rep.failed {
			os.Exit(1)
		}
		return
	}
	rep.write(os.Stdout, *module)
	if rep.failed {
		fmt.Fprintln(os.Stderr, "benchtable: the input reports a failure; the table is incomplete")
		os.Exit(1)
	}
}

// Units with a column of their own, in this order; any other unit gets a column after them.
const (
	unitTime   = "ns/op"
	unitBytes  = "B/op"
	unitAllocs = "allocs/op"
)

type result struct {
	pkg    string
	name   string // as printed, with the GOMAXPROCS suffix
	runs   int
	values map[string][]float64 // unit → one value per run
}

type report struct {
	env     []string // "goos: linux" and the like, as printed before the first package
	results []*result
	units   []string // every unit seen, in order of first appearance
	failed  bool
}

// parse reads `go test -bench` output. Lines it does not recognise (logs, PASS, ok) are skipped.
func parse(r io.Reader) (*report, error) {
	rep := &report{}
	byName := map[[2]string]*result{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
		case strings.HasPrefix(line, "goos: "), strings.HasPrefix(line, "goarch: "), strings.HasPrefix(line, "cpu: "):
			if !slices.Contains(rep.env, line) {
				rep.env = append(rep.env, line)
			}
		case strings.HasPrefix(line, "FAIL"), strings.HasPrefix(line, "--- FAIL"), strings.HasPrefix(line, "panic: "):
			rep.failed = true
		case strings.HasPrefix(line, "Benchmark"):
			name, values, ok := parseResult(line)
			if !ok {
				continue
			}
			key := [2]string{pkg, name}
			res := byName[key]
			if res == nil {
				res = &result{pkg: pkg, name: name, values: map[string][]float64{}}
				byName[key] = res
				rep.results = append(rep.results, res)
			}
			res.runs++
			for _, v := range values {
				if !slices.Contains(rep.units, v.unit) {
					rep.units = append(rep.units, v.unit)
				}
				res.values[v.unit] = append(res.values[v.unit], v.value)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("failed to read benchmark output: %w", err)
	}
	return rep, nil
}

type measurement struct {
	value float64
	unit  string
}

// parseResult reads one result line: name, iteration count, then value-unit pairs.
func parseResult(line string) (name string, values []measurement, ok bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return "", nil, false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return "", nil, false
	}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, false
		}
		values = append(values, measurement{v, f[i+1]})
	}
	return strings.TrimPrefix(f[0], "Benchmark"), values, true
}

var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// commonProcs returns the GOMAXPROCS suffix that every benchmark name carries, or "" if they differ.
func (rep *report) commonProcs() string {
	procs := ""
	for i, res := range rep.results {
		m := procsSuffix.FindStringSubmatch(res.name)
		if m == nil || (i > 0 && m[1] != procs) {
			return ""
		}
		procs = m[1]
	}
	return procs
}

func (rep *report) write(w io.Writer, module string) {
	procs := rep.commonProcs()
	env := slices.Clone(rep.env)
	if procs != "" {
		env = append(env, "GOMAXPROCS: "+procs)
	}
	if len(env) > 0 {
		fmt.Fprintf(w, "%s\n\n", strings.Join(env, ", "))
	}

	units := []string{unitTime}
	for _, u := range []string{unitBytes, unitAllocs} {
		if slices.Contains(rep.units, u) {
			units = append(units, u)
		}
	}
	for _, u := range rep.units {
		if !slices.Contains(units, u) {
			units = append(units, u)
		}
	}
	showRuns := slices.ContainsFunc(rep.results, func(r *result) bool { return r.runs > 1 })

	header := append([]string{"package", "benchmark"}, units...)
	align := []string{"---", "---"}
	for range units {
		align = append(align, "---:")
	}
	if showRuns {
		header = append(header, "runs")
		align = append(align, "---:")
	}
	writeRow(w, header)
	writeRow(w, align)
	for _, res := range rep.results {
		name := res.name
		if procs != "" {
			name = strings.TrimSuffix(name, "-"+procs)
		}
		row := []string{shortPackage(res.pkg, module), name}
		for _, u := range units {
			cell := ""
			if vs := res.values[u]; len(vs) > 0 {
				cell = formatValue(median(vs))
			}
			row = append(row, cell)
		}
		if showRuns {
			row = append(row, strconv.Itoa(res.runs))
		}
		writeRow(w, row)
	}
}

func writeRow(w io.Writer, cells []string) {
	escaped := make([]string, len(cells))
	for i, c := range cells {
		escaped[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(escaped, " | "))
}

func shortPackage(pkg, module string) string {
	switch {
	case pkg == module:
		return "."
	case strings.HasPrefix(pkg, module+"/"):
		return strings.TrimPrefix(pkg, module+"/")
	}
	return pkg
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// formatValue keeps about three significant digits: whole numbers from 100 up (with thousands
// separators), decimals below.
func formatValue(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100 || v == math.Trunc(v):
		return groupThousands(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func groupThousands(digits string) string {
	sign := ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}
