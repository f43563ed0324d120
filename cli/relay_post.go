package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

func runPost(env Env, args []string) error {
	fs := newFlags(env, "post", "post [--to FRIEND...] [--public] [--hidden] [--inline] [options] < post.txt")
	var pf postFlags
	pf.register(fs)
	var rf relayFlags
	rf.register(fs)
	inline := fs.Bool("inline", false, "carry the whole message in the link when it fits ("+strconv.Itoa(payload.MaxInline)+" bytes); it is stored on the relay all the same")
	signUpload := fs.Bool("sign-upload", false, "sign the upload with the persona, for the persona's quota on the relay (publish its key there first: veil keys publish)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("post reads the text from stdin")
	}
	s, err := pf.sealer(env)
	if err != nil {
		return err
	}
	c, err := rf.client(env, "")
	if err != nil {
		return err
	}
	var msg bytes.Buffer
	if err := s.sealPost(&msg, env.Stdin); err != nil {
		return err
	}
	var opts relayclient.UploadOptions
	if !pf.public {
		// The share key is derived from the hash of the message (its CID
		// as a raw block), which the author can always compute again from
		// the bytes, whatever CID the relay gives a large blob.
		key, err := s.me.ShareKey(relayclient.BlobCID(msg.Bytes()).String())
		if err != nil {
			return err
		}
		opts.ShareKey = key.Public().(ed25519.PublicKey)
	}
	if *signUpload {
		opts.Signer = s.me.Entity()
	}
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	id, err := c.Upload(ctx, msg.Bytes(), opts)
	if err != nil {
		return fmt.Errorf("uploading to %s: %w", c.BaseURL(), err)
	}
	link := payload.Link(c.BaseURL(), id)
	if *inline {
		l, err := payload.Inline(c.BaseURL(), msg.Bytes())
		switch {
		case err == nil:
			link = l
		case errors.Is(err, payload.ErrTooLarge):
			fmt.Fprintf(env.Stderr, "veil: the message is %d bytes, too large for an inline link (%d): linking to the relay\n", msg.Len(), payload.MaxInline)
		default:
			return err
		}
	}
	text := payload.FeedText(link)
	if pf.public {
		text = payload.PublicFeedText(link)
	}
	if _, err := fmt.Fprintln(env.Stdout, text); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "veil: stored %s (%d bytes) on %s\n", id, msg.Len(), c.BaseURL())
	return nil
}

// readReport is what read --json prints for a post.
type readReport struct {
	CID   string `json:"cid"`
	Relay string `json:"relay,omitempty"`
	decryptReport
	// KeyFrom says where the signer's key came from when it is not a
	// persona or contact: "directory" (--fetch-key).
	KeyFrom string `json:"key_from,omitempty"`
}

// readFlags are the options of reading posts, shared by read and watch.
type readFlags struct {
	store      storeFlags
	relay      relayFlags
	as         string
	fetchKey   bool
	requireSig bool
	json       bool
}

func (r *readFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.as, "as", "", "decrypt only with this persona (default: any)")
	fs.BoolVar(&r.fetchKey, "fetch-key", false, "when the author's key is unknown, get it from the relay's directory to check the signature (it is not added to your contacts)")
	fs.BoolVar(&r.requireSig, "require-signature", false, "fail unless the author's signature is good")
	fs.BoolVar(&r.json, "json", false, "print the post and its verification as JSON")
}

func runRead(env Env, args []string) error {
	fs := newFlags(env, "read", "read [options] [FEED TEXT | LINK | CID]   (stdin without one)")
	var rf readFlags
	rf.store.register(fs)
	rf.relay.register(fs)
	rf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	text, err := readText(env, fs.Args())
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	targets, err := findTargets(ctx, text)
	if err != nil {
		return err
	}
	st, err := openStore(env, rf.store.home)
	if err != nil {
		return err
	}
	kr, err := keyring(env, st, rf.store.passphraseFile, rf.as)
	if err != nil {
		return err
	}
	if len(targets) == 1 {
		return readPost(ctx, env, &rf, kr, targets[0])
	}
	var first error
	failed := 0
	for _, t := range targets {
		if err := readPost(ctx, env, &rf, kr, t); err != nil {
			fmt.Fprintf(env.Stderr, "veil read: %s: %v\n", t.display, err)
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return &manyErrors{n: failed, of: len(targets), first: first}
	}
	return nil
}

// manyErrors reports that some of several posts failed (each was reported);
// the exit code is the first failure's.
type manyErrors struct {
	n, of int
	first error
}

func (e *manyErrors) Error() string {
	return fmt.Sprintf("%d of %d posts could not be read", e.n, e.of)
}
func (e *manyErrors) Unwrap() error { return e.first }

// findTargets finds the posts in text: every Veil link in it, or else the
// whole text read as a link or CID.
func findTargets(ctx context.Context, text string) ([]target, error) {
	ps := payload.Find(text)
	if len(ps) == 0 {
		t, err := parseTarget(ctx, strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("no Veil post found in the input (%w)", err)
		}
		return []target{t}, nil
	}
	var out []target
	for _, p := range ps {
		t, err := payloadTarget(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// readPost fetches, decrypts and verifies one post and prints it: the text
// on stdout and what is known about it on stderr, or all of it as JSON.
func readPost(ctx context.Context, env Env, rf *readFlags, kr openpgp.EntityList, t target) error {
	f, err := fetch(ctx, env, &rf.relay, t)
	if err != nil {
		return err
	}
	return showPost(ctx, env, rf, kr, f)
}

func showPost(ctx context.Context, env Env, rf *readFlags, kr openpgp.EntityList, f *fetched) error {
	op, err := f.open(&envelope.OpenOptions{Keyring: kr})
	if err != nil {
		return err
	}
	rep := readReport{CID: f.id.String(), Relay: f.client.BaseURL()}
	if op.Signature.Status == envelope.SigUnknownSigner && rf.fetchKey {
		recs, err := f.client.LookupKeys(ctx, relayclient.Query{Fingerprint: op.Author})
		if err != nil {
			return fmt.Errorf("looking up the author's key %s: %w", op.Author, err)
		}
		if len(recs) == 1 {
			withKey := append(append(openpgp.EntityList(nil), kr...), recs[0].Key)
			if op, err = f.open(&envelope.OpenOptions{Keyring: withKey}); err != nil {
				return err
			}
			rep.KeyFrom = "directory"
		}
	}
	rep.decryptReport = postReport(op)
	if rf.requireSig && op.Signature.Status != envelope.SigGood {
		return fmt.Errorf("%w: no good signature by a known key (%s)", envelope.ErrBadSignature, rep.Signature)
	}
	if rf.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	body := []byte(op.Text)
	if !bytes.HasSuffix(body, []byte("\n")) {
		body = append(body, '\n')
	}
	if _, err := env.Stdout.Write(body); err != nil {
		return err
	}
	summarize(env, rep.decryptReport)
	from := "veil: post " + rep.CID + " on " + rep.Relay
	if f.inline != nil {
		from = "veil: inline post " + rep.CID
	}
	if rep.KeyFrom != "" {
		from += " (author's key from the relay's directory, not a contact)"
	}
	fmt.Fprintln(env.Stderr, from)
	return nil
}

// shareOnline makes a share of a post on a relay and publishes it there,
// signed with the post's share key: only the author can.
func shareOnline(env Env, sf storeFlags, rf relayFlags, t target, to []string, as string, hidden bool, out string, armored bool) error {
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	st, kr, rcpts, err := shareParties(env, sf, to)
	if err != nil {
		return err
	}
	f, err := fetch(ctx, env, &rf, t)
	if err != nil {
		return err
	}
	msg, err := envelope.Join(bytes.NewReader(f.msg), f.shares...)
	if err != nil {
		return err
	}
	res, err := envelope.Decrypt(msg, io.Discard, &envelope.OpenOptions{Keyring: kr, KeepSessionKey: true})
	if err != nil {
		return err
	}
	if !res.Encrypted {
		return errors.New("a public post needs no share: everyone can read it")
	}
	var me *persona.Persona
	if as != "" {
		me, err = st.Persona(as)
	} else if sig, ok := res.Verified(); ok {
		me, err = st.Persona(sig.Fingerprint)
		if errors.Is(err, persona.ErrNotFound) {
			return fmt.Errorf("only the author of a post may publish shares for it, and %s is not one of your personas: --out writes the share to a file to send yourself", sig.Fingerprint)
		}
	} else {
		return errors.New("the post bears no good signature of one of your personas: name its author with --as")
	}
	if err != nil {
		return err
	}
	if _, err := unlock(env, me, sf.passphraseFile); err != nil {
		return err
	}
	share, err := envelope.NewShare(res.SessionKey, rcpts, hidden)
	if err != nil {
		return err
	}
	key, err := me.ShareKey(relayclient.BlobCID(f.msg).String())
	if err != nil {
		return err
	}
	if out != "" {
		w, finish, err := output(env, out, armored)
		if err != nil {
			return err
		}
		if _, err := w.Write(share.Bytes); err != nil {
			finish(false)
			return err
		}
		if err := finish(true); err != nil {
			return err
		}
	}
	if err := f.client.AddShare(ctx, f.id, share.Bytes, key); err != nil {
		if out != "" && out != "-" {
			os.Remove(out)
		}
		return fmt.Errorf("publishing the share on %s: %w", f.client.BaseURL(), err)
	}
	var ids []string
	for _, r := range share.Recipients {
		if r.Hidden {
			ids = append(ids, "hidden")
		} else {
			ids = append(ids, persona.KeyIDString(r.KeyID))
		}
	}
	fmt.Fprintf(env.Stderr, "veil: shared %s on %s with %s\n", f.id, f.client.BaseURL(), strings.Join(ids, " "))
	return nil
}
