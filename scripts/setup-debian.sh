#!/usr/bin/env bash
# Prepares a Debian 12 machine to build and test Veil: checks the Go toolchain, installs the Debian
# packages the tests use (as root, with apt-get) and downloads the Go modules. Safe to run again: it only
# installs what is missing and runs `apt-get update` at most once, and only when something is missing.
#
# Usage: scripts/setup-debian.sh [--browser] [--redis] [--no-redis]
#   (default)    the core packages and redis-server
#   --browser    also Chromium, for the extension's browser tests
#   --redis      redis-server (already the default; kept so callers can be explicit)
#   --no-redis   leave redis-server out
#
# Not root and something missing: prints the apt-get command to run and exits 1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What the tests use: gpg and sqop are the interop peers, brotli compresses fixtures, Node.js runs the
# browser client (veil.wasm) in integration/.
CORE_PACKAGES=(gnupg sqop brotli nodejs)
# The relay's scale-out tests run a real redis-server.
REDIS_PACKAGES=(redis-server)
# The extension's tests run real headless Chromium.
BROWSER_PACKAGES=(chromium)

with_redis=1
with_browser=0
for arg in "$@"; do
	case $arg in
	--browser) with_browser=1 ;;
	--redis) with_redis=1 ;;
	--no-redis) with_redis=0 ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "setup: unknown argument: $arg (try --help)" >&2
		exit 2
		;;
	esac
done

log() { printf 'setup: %s\n' "$*"; }

# check_go makes sure a Go toolchain at least as new as go.mod's `go` line is on PATH.
check_go() {
	local want have
	want=$(awk '$1 == "go" { print $2; exit }' go.mod)
	if ! command -v go >/dev/null; then
		if [ -x /usr/local/go/bin/go ]; then
			echo "setup: Go is installed at /usr/local/go but not on PATH; run: export PATH=\$PATH:/usr/local/go/bin" >&2
		else
			echo "setup: Go $want or newer is needed and no 'go' is on PATH (Debian's golang package is too old: install it from go.dev/dl)" >&2
		fi
		exit 1
	fi
	# GOTOOLCHAIN=local: report the toolchain that is installed, never one Go would fetch.
	have=$(GOTOOLCHAIN=local go env GOVERSION)
	if ! version_at_least "${have#go}" "$want"; then
		echo "setup: Go $want or newer is needed; $(command -v go) is $have" >&2
		exit 1
	fi
	log "using $have ($(command -v go))"
}

# version_at_least HAVE WANT compares dotted versions numerically ("1.26.8" >= "1.26"); a release
# candidate counts as its release ("1.27rc1" as "1.27"). A version that does not parse (a devel build)
# passes with a note.
version_at_least() {
	local have=${1%%[!0-9.]*} want=$2 h w i
	if ! [[ $have =~ ^[0-9]+(\.[0-9]+)*$ ]]; then
		log "cannot read Go version '$1'; assuming it is new enough"
		return 0
	fi
	IFS=. read -r -a h <<<"$have"
	IFS=. read -r -a w <<<"$want"
	for ((i = 0; i < ${#w[@]}; i++)); do
		if ((${h[i]:-0} > w[i])); then return 0; fi
		if ((${h[i]:-0} < w[i])); then return 1; fi
	done
	return 0
}

is_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# install_packages installs those of its arguments that are missing.
install_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		is_installed "$pkg" || missing+=("$pkg")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "Debian packages present: $*"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages: ${missing[*]}" >&2
		echo "setup: install them as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	if ! command -v apt-get >/dev/null; then
		echo "setup: missing packages ${missing[*]}, and there is no apt-get: is this Debian?" >&2
		exit 1
	fi
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" </dev/null
}

# Packages are gathered first so that apt-get update runs at most once.
packages=("${CORE_PACKAGES[@]}")
((with_redis)) && packages+=("${REDIS_PACKAGES[@]}")
((with_browser)) && packages+=("${BROWSER_PACKAGES[@]}")

check_go
install_packages "${packages[@]}"
log "downloading Go modules"
go mod download
log "ready"
