#!/usr/bin/env bash
# Runs every fuzz target in the module, each for FUZZTIME. `go test -fuzz` takes one package and one target
# per run, so the targets are found first: packages whose test files declare a Fuzz function are listed with
# `go test -list`, and each target then runs on its own.
#
# Usage: [FUZZTIME=10s] [FUZZ=regexp] scripts/fuzz.sh [packages]   (packages default to ./...)
# A failing input is saved by go test under the package's testdata/fuzz/<Target>/; commit it as a regression.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZTIME=${FUZZTIME:-10s}
FUZZ=${FUZZ:-.}
[ $# -gt 0 ] || set -- ./...

# Packages with a test file that mentions a Fuzz function: a cheap filter, so that `go test -list`
# compiles only the test binaries that can hold fuzz targets.
packages=$(go list -f '{{.Dir}} {{.ImportPath}} {{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' "$@")
candidates=()
while read -r dir pkg files; do
	[ -n "$files" ] || continue
	if (cd "$dir" && grep -qE '^func Fuzz' $files); then
		candidates+=("$pkg")
	fi
done <<<"$packages"

targets=()
for pkg in "${candidates[@]}"; do
	# Captured first, so that a package that fails to compile stops the run instead of being skipped.
	list=$(go test -list '^Fuzz' "$pkg")
	while read -r name; do
		if [[ $name == Fuzz* && $name =~ $FUZZ ]]; then
			targets+=("$pkg $name")
		fi
	done <<<"$list"
done

if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets match '$FUZZ'"
	exit 0
fi

# fuzz_once runs one target, its output both shown and kept in $log.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fuzz_once() {
	go test -run='^$' -fuzz="^${2}\$" -fuzztime="$FUZZTIME" "$1" 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

# deadline_race says whether a failed run is Go 1.26's fuzzing-coordinator race at the end of -fuzztime
# (go.dev/issue/75804, fixed in Go 1.27): the target fails with a bare "context deadline exceeded" and no
# failing input, panic or test error. Such a run is repeated once; anything else is a real failure.
deadline_race() {
	grep -q 'context deadline exceeded' "$log" &&
		! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"
}

echo "fuzz.sh: ${#targets[@]} target(s), $FUZZTIME each"
failed=()
for target in "${targets[@]}"; do
	read -r pkg name <<<"$target"
	echo "fuzz.sh: $name in $pkg"
	if fuzz_once "$pkg" "$name"; then
		continue
	fi
	if deadline_race; then
		echo "fuzz.sh: $name stopped on Go's fuzztime deadline race (no failing input); running it again"
		fuzz_once "$pkg" "$name" && continue
	fi
	failed+=("$name ($pkg)")
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: ${#failed[@]} of ${#targets[@]} target(s) failed:"
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
echo "fuzz.sh: all ${#targets[@]} target(s) ran $FUZZTIME without a failure"
