package contracts_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGeneratedFilesAreReproducible runs `make contracts`'s script into a temporary directory and checks that
// it writes byte for byte the ABI, bytecode and bindings committed here, and nothing else: the committed files
// are what the .sol sources compile to with the pinned solc and abigen.
func TestGeneratedFilesAreReproducible(t *testing.T) {
	t.Parallel() // the compile runs in other processes while the chain tests run here
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed, so the contracts cannot be recompiled: install Node.js (make setup) to check that the committed bindings match the sources")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "solc", "package.json")); err != nil {
		npm, lerr := exec.LookPath("npm")
		if lerr != nil {
			t.Fatalf("solc is not installed in %s/node_modules and there is no npm to install it: run `npm ci --ignore-scripts` there", root)
		}
		t.Logf("solc is not installed: npm ci --ignore-scripts in %s", root)
		cmd := exec.Command(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}

	out := t.TempDir()
	cmd := exec.Command(node, filepath.Join(root, "scripts", "contracts.mjs"), "--out", out)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node scripts/contracts.mjs: %v\n%s", err, msg)
	}

	// The generated files: build/ and attack/build/ entirely, and every .go file but doc.go and the tests.
	generated := func(dir string) []string {
		t.Helper()
		var files []string
		for _, sub := range []string{"build", filepath.Join("attack", "build")} {
			ents, err := os.ReadDir(filepath.Join(dir, sub))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				files = append(files, filepath.Join(sub, e.Name()))
			}
		}
		for _, sub := range []string{".", "attack"} {
			matches, err := filepath.Glob(filepath.Join(dir, sub, "*.go"))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range matches {
				name := filepath.Base(m)
				if name == "doc.go" || strings.HasSuffix(name, "_test.go") {
					continue
				}
				files = append(files, filepath.Join(sub, name))
			}
		}
		slices.Sort(files)
		return files
	}
	want, got := generated(out), generated(".")
	if !slices.Equal(want, got) {
		t.Fatalf("make contracts writes %v; committed here: %v", want, got)
	}
	for _, f := range want {
		fresh, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s differs from what make contracts writes: run make contracts and commit the result", f)
		}
	}
}
