package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
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
	d, err := s.draft(env.Stdin)
	if err != nil {
		return err
	}
	d.Inline, d.SignUpload = *inline, *signUpload
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	res, err := post.Compose(ctx, c, d)
	if err != nil {
		return err
	}
	if d.Inline && !res.Inline {
		fmt.Fprintf(env.Stderr, "veil: the message is %d bytes, too large for an inline link (%d): linking to the relay\n", res.Size, payload.MaxInline)
	}
	if _, err := fmt.Fprintln(env.Stdout, res.FeedText); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "veil: stored %s (%d bytes) on %s\n", res.CID, res.Size, res.Relay)
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
	targets, err := post.Find(ctx, text)
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
			fmt.Fprintf(env.Stderr, "veil read: %s: %v\n", t.Display, err)
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

// readPost fetches, decrypts and verifies one post and prints it: the text
// on stdout and what is known about it on stderr, or all of it as JSON.
func readPost(ctx context.Context, env Env, rf *readFlags, kr openpgp.EntityList, t post.Target) error {
	c, err := rf.relay.client(env, t.Relay)
	if err != nil {
		return err
	}
	o, err := post.Read(ctx, c, t, post.ReadOptions{Keyring: kr, FetchKey: rf.fetchKey})
	if o != nil && o.SharesErr != nil {
		fmt.Fprintf(env.Stderr, "veil: no shares for the inline post (%v)\n", o.SharesErr)
	}
	if err != nil {
		return err
	}
	rep := readReport{CID: o.CID.String(), Relay: o.Client.BaseURL(), KeyFrom: o.KeyFrom, decryptReport: postReport(o.Post)}
	if rf.requireSig && o.Post.Signature.Status != envelope.SigGood {
		return fmt.Errorf("%w: no good signature by a known key (%s)", envelope.ErrBadSignature, rep.Signature)
	}
	if rf.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	body := []byte(o.Post.Text)
	if !bytes.HasSuffix(body, []byte("\n")) {
		body = append(body, '\n')
	}
	if _, err := env.Stdout.Write(body); err != nil {
		return err
	}
	summarize(env, rep.decryptReport)
	from := "veil: post " + rep.CID + " on " + rep.Relay
	if o.Inline != nil {
		from = "veil: inline post " + rep.CID
	}
	if rep.KeyFrom != "" {
		from += " (author's key from the relay's directory, not a contact)"
	}
	fmt.Fprintln(env.Stderr, from)
	return nil
}

// shareOnline makes a share of a post on a relay and publishes it there,
// signed with the post's share key: only the author can. With out, the
// share is written there too once it is published.
func shareOnline(env Env, sf storeFlags, rf relayFlags, t post.Target, to []string, as string, hidden bool, out string, armored bool) error {
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	st, kr, rcpts, err := shareParties(env, sf, to)
	if err != nil {
		return err
	}
	c, err := rf.client(env, t.Relay)
	if err != nil {
		return err
	}
	author := func(signer string) (*persona.Persona, error) {
		var me *persona.Persona
		var err error
		switch {
		case as != "":
			me, err = st.Persona(as)
		case signer != "":
			me, err = st.Persona(signer)
		default:
			return nil, errors.New("the post bears no good signature of one of your personas: name its author with --as")
		}
		if err != nil {
			return nil, err
		}
		if _, err := unlock(env, me, sf.passphraseFile); err != nil {
			return nil, err
		}
		return me, nil
	}
	res, err := post.AddRecipients(ctx, c, t, post.ShareOptions{Keyring: kr, To: rcpts, Hidden: hidden, Author: author})
	if errors.Is(err, post.ErrNotAuthor) {
		return fmt.Errorf("%w: with the post as a file, share add makes a share for you to send yourself", err)
	}
	if err != nil {
		return err
	}
	if out != "" {
		w, finish, err := output(env, out, armored)
		if err != nil {
			return err
		}
		if _, err := w.Write(res.Share.Bytes); err != nil {
			finish(false)
			return err
		}
		if err := finish(true); err != nil {
			return err
		}
	}
	var ids []string
	for _, r := range res.Share.Recipients {
		if r.Hidden {
			ids = append(ids, "hidden")
		} else {
			ids = append(ids, persona.KeyIDString(r.KeyID))
		}
	}
	fmt.Fprintf(env.Stderr, "veil: shared %s on %s with %s\n", res.CID, res.Relay, strings.Join(ids, " "))
	return nil
}
