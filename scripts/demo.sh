#!/usr/bin/env bash
# Shows Veil end to end with throwaway keys: Alice and Bob get personas, Alice encrypts and signs a message to
# Bob, Bob reads it with veil, then GnuPG reads the same message, and veil reads one that GnuPG wrote.
# Everything lives in a fresh temporary directory; nothing touches ~/.gnupg or the user's veil home.
#
# Usage: scripts/demo.sh [path/to/veil]   (default: bin/veil, built by `make build`)
set -euo pipefail

veil=${1:-$(dirname "${BASH_SOURCE[0]}")/../bin/veil}
if [ ! -x "$veil" ]; then
	echo "demo: no veil binary at $veil; run 'make build' first" >&2
	exit 1
fi
veil=$(realpath "$veil")
command -v gpg >/dev/null || {
	echo "demo: gpg is not installed; run 'make setup'" >&2
	exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/veil-demo.XXXXXX")
export VEIL_HOME=$work/veil-home
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$VEIL_HOME" "$GNUPGHOME"
# The gpg-agent started for this GNUPGHOME must not outlive the demo.
trap 'gpgconf --kill all >/dev/null 2>&1 || true' EXIT

step() { printf '\n=== %s\n' "$*"; }
# show FILE prints a file indented, so it stands apart from the headings.
show() { sed 's/^/    /' "$1"; }

step "Working in $work (VEIL_HOME=$VEIL_HOME, GNUPGHOME=$GNUPGHOME)"

step "1. Alice creates a persona (an OpenPGP key) with her Twitter/X handle"
"$veil" persona new --name Alice --email alice@example.org --handle twitter:alice --no-passphrase >"$work/alice.fpr"
show "$work/alice.fpr"

step "2. Bob creates a persona"
"$veil" persona new --name Bob --email bob@example.org --handle twitter:bob --no-passphrase >"$work/bob.fpr"
show "$work/bob.fpr"

step "3. Bob's public key, as anyone can fetch it (first lines)"
"$veil" persona export --public bob@example.org >"$work/bob.pub.asc"
head -n 4 "$work/bob.pub.asc" | sed 's/^/    /'
echo "    ..."

step "4. Alice encrypts and signs a message to Bob"
printf 'Hello Bob, this is Alice. Only you can read this.\n' >"$work/message.txt"
"$veil" encrypt --as alice@example.org --to bob@example.org <"$work/message.txt" >"$work/message.asc"
show "$work/message.asc"

step "5. Bob decrypts it with veil (text on stdout, verification on stderr)"
"$veil" decrypt --as bob@example.org <"$work/message.asc" >"$work/decrypted.txt" 2>"$work/decrypted.verify" || {
	cat "$work/decrypted.verify" >&2
	exit 1
}
echo "    text:"
show "$work/decrypted.txt"
echo "    verification:"
show "$work/decrypted.verify"
cmp -s "$work/message.txt" "$work/decrypted.txt" || {
	echo "demo: the decrypted text differs from what Alice wrote" >&2
	exit 1
}

step "6. GnuPG reads the same message: import Alice's public key and Bob's secret key, then gpg --decrypt
   (a post is a small JSON document in a standard OpenPGP message; gpg shows it as it is)"
"$veil" persona export --public alice@example.org | gpg --batch --quiet --import
"$veil" persona export --secret bob@example.org | gpg --batch --quiet --import
# Trust is not the point here: --trust-model always keeps gpg from warning that nobody certified Alice's key.
gpg --batch --trust-model always --decrypt "$work/message.asc" >"$work/gpg-decrypted.txt" 2>"$work/gpg-decrypted.log" || {
	cat "$work/gpg-decrypted.log" >&2
	exit 1
}
echo "    text:"
show "$work/gpg-decrypted.txt"
echo "    gpg says:"
show "$work/gpg-decrypted.log"
grep -qF "\"text\":\"$(head -n1 "$work/message.txt")" "$work/gpg-decrypted.txt" || {
	echo "demo: gpg's decryption differs from what Alice wrote" >&2
	exit 1
}

step "7. And the reverse: Bob answers with gpg (encrypt to Alice, sign as Bob), Alice reads it with veil"
printf 'Hi Alice, Bob here, writing with gpg.\n' >"$work/reply.txt"
gpg --batch --quiet --trust-model always --armor --local-user bob@example.org --recipient alice@example.org \
	--sign --encrypt --output "$work/reply.asc" "$work/reply.txt"
"$veil" decrypt --as alice@example.org <"$work/reply.asc" >"$work/reply-decrypted.txt" 2>"$work/reply-decrypted.verify" || {
	cat "$work/reply-decrypted.verify" >&2
	exit 1
}
echo "    text:"
show "$work/reply-decrypted.txt"
echo "    verification:"
show "$work/reply-decrypted.verify"
cmp -s "$work/reply.txt" "$work/reply-decrypted.txt" || {
	echo "demo: veil's decryption of gpg's message differs from what Bob wrote" >&2
	exit 1
}

step "Done. Keys, messages and logs are in $work (remove it with: rm -rf $work)"
