#!/usr/bin/env bash
# Times the client core's benchmarked operations through gpg, for the comparison column of
# docs/BENCHMARKS.md: encrypt+sign a 1 KiB post to 1, 10 and 100 recipients plus the author, decrypt+verify
# it, encrypt (and decrypt) 1 MiB. Keys are what Veil's default profile makes: an ed25519 primary key and a
# cv25519 encryption subkey, no passphrase. Everything runs in a throwaway GNUPGHOME; the agent it starts is
# stopped at the end. Each time is wall clock per gpg invocation, so it includes starting the gpg process and
# talking to gpg-agent (which holds the secret keys): that is what a program calling gpg pays.
#
# Usage: [N=20] [N_LARGE=10] [GPG=gpg] scripts/bench-gpg.sh    (prints a Markdown table; about 7 s on 2 idle cores)
set -euo pipefail

N=${N:-20}
N_LARGE=${N_LARGE:-10}
GPG=${GPG:-gpg}
RECIPIENTS=100

for tool in "$GPG" gpgconf; do
	if ! command -v "$tool" >/dev/null; then
		echo "bench-gpg.sh: $tool not found; install Debian's gnupg package (make setup)" >&2
		exit 1
	fi
done
if ! [[ $N =~ ^[1-9][0-9]{0,3}$ && $N_LARGE =~ ^[1-9][0-9]{0,3}$ ]]; then
	echo "bench-gpg.sh: N and N_LARGE must be between 1 and 9999" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/veil-bench-gpg.XXXXXX")
export GNUPGHOME="$tmp/gnupg"
mkdir -m 0700 "$GNUPGHOME"
cleanup() {
	gpgconf --kill all >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gpg_() { "$GPG" --batch --quiet --no-tty --trust-model always --compress-algo none "$@"; }

# newkey NAME prints the fingerprint of a new ed25519/cv25519 key without a passphrase.
newkey() {
	local fpr
	fpr=$(gpg_ --passphrase '' --pinentry-mode loopback --status-fd 1 \
		--quick-gen-key "$1 <$(tr 'A-Z ' 'a-z.' <<<"$1")@example.org>" ed25519 sign never 2>/dev/null |
		awk '$2 == "KEY_CREATED" { print $4 }')
	[ -n "$fpr" ] || { echo "bench-gpg.sh: failed to generate a key for $1" >&2; exit 1; }
	gpg_ --passphrase '' --pinentry-mode loopback --quick-add-key "$fpr" cv25519 encr never 2>/dev/null
	echo "$fpr"
}

now_ns() { date +%s%N; }

# timeit N CMD... runs CMD N times and prints the mean wall time per run in nanoseconds.
timeit() {
	local n=$1 start end i
	shift
	start=$(now_ns)
	for ((i = 0; i < n; i++)); do
		"$@"
	done
	end=$(now_ns)
	echo $(((end - start) / n))
}

ms() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e6 }'; }
mbps() { awk -v ns="$1" -v b="$2" 'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }'; }

echo "bench-gpg.sh: generating $((RECIPIENTS + 1)) keys in $GNUPGHOME" >&2
t0=$(now_ns)
author=$(newkey "Alice Author")
readers=()
for ((i = 1; i <= RECIPIENTS; i++)); do
	readers+=("$(newkey "$(printf 'Reader %03d' "$i")")")
done
keygen_ns=$((($(now_ns) - t0) / (RECIPIENTS + 1)))

# The inputs: a 1 KiB post and 1 MiB of random data.
head -c 768 /dev/urandom | base64 -w 0 >"$tmp/post"
head -c 1048576 /dev/urandom >"$tmp/large"

recipients() { # recipients N: -r options for the author and the first N readers
	local i
	printf -- '-r\n%s\n' "$author"
	for ((i = 0; i < $1; i++)); do printf -- '-r\n%s\n' "${readers[i]}"; done
}

seal() { gpg_ --yes -u "$author" "${rcpt[@]}" -s -e -o "$tmp/post.gpg" "$tmp/post"; }
open_() { gpg_ -d -o /dev/null "$tmp/post.gpg" 2>/dev/null; }
enc_large() { gpg_ --yes -r "${readers[0]}" -e -o "$tmp/large.gpg" "$tmp/large"; }
dec_large() { gpg_ -d -o /dev/null "$tmp/large.gpg" 2>/dev/null; }

echo "bench-gpg.sh: timing ($N runs per 1 KiB operation, $N_LARGE per 1 MiB)" >&2
version() { "$GPG" --version >/dev/null; }
t=$(timeit "$N" version)
rows=("| start gpg and exit (\`gpg --version\`), for reference | $(ms "$t") | | $N |")
rows+=("| generate a key (ed25519 + cv25519 subkey: two invocations) | $(ms "$keygen_ns") | | $((RECIPIENTS + 1)) |")
for n in 1 10 100; do
	mapfile -t rcpt < <(recipients "$n")
	seal # warm up: starts gpg-agent, fills the caches
	t=$(timeit "$N" seal)
	rows+=("| encrypt+sign 1 KiB to $n + author | $(ms "$t") | | $N |")
done
# The 1 KiB post to one reader and the author, read by the reader (the agent holds every secret key of
# this GNUPGHOME, as it would hold a reader's own).
mapfile -t rcpt < <(recipients 1)
seal
open_ || { echo "bench-gpg.sh: gpg cannot decrypt its own message" >&2; exit 1; }
t=$(timeit "$N" open_)
rows+=("| decrypt+verify 1 KiB | $(ms "$t") | | $N |")
enc_large
t=$(timeit "$N_LARGE" enc_large)
rows+=("| encrypt 1 MiB | $(ms "$t") | $(mbps "$t" 1048576) | $N_LARGE |")
t=$(timeit "$N_LARGE" dec_large)
rows+=("| decrypt 1 MiB | $(ms "$t") | $(mbps "$t" 1048576) | $N_LARGE |")

echo "gpg: $("$GPG" --version | sed -n 1p), $("$GPG" --version | sed -n 's/^libgcrypt /libgcrypt /p'); $(nproc) cores; keys ed25519/cv25519;" \
	"--trust-model always --compress-algo none; times include starting gpg and its gpg-agent round trips"
echo
echo "| operation (gpg) | ms/op | MB/s | runs |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
