package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
)

// postFlags are the options of writing a post, shared by encrypt and post.
type postFlags struct {
	store   storeFlags
	as      string
	to      stringList
	public  bool
	hidden  bool
	site    string
	handle  string
	replyTo string
}

func (p *postFlags) register(fs *flag.FlagSet) {
	p.store.register(fs)
	fs.StringVar(&p.as, "as", "", "persona to write as (default: the only one)")
	fs.Var(&p.to, "to", "recipient: contact, persona, or a key file (repeatable); the author is always added")
	fs.BoolVar(&p.public, "public", false, "a public post: signed, not encrypted")
	fs.BoolVar(&p.hidden, "hidden", false, "hide the recipients' key IDs")
	fs.StringVar(&p.site, "site", "", "site the post is for (twitter, facebook)")
	fs.StringVar(&p.handle, "handle", "", "author's handle on that site")
	fs.StringVar(&p.replyTo, "reply-to", "", "CID of the post this one answers")
}

// sealer is an unlocked author and the resolved recipients of a post.
type sealer struct {
	flags *postFlags
	me    *persona.Persona
	to    []*openpgp.Entity
}

// sealer checks the flags, opens the key store, unlocks the author and
// resolves the recipients.
func (p *postFlags) sealer(env Env) (*sealer, error) {
	if p.public && (len(p.to) > 0 || p.hidden) {
		return nil, usagef("--public posts have no recipients")
	}
	if !p.public && len(p.to) == 0 {
		return nil, usagef("name at least one --to (or use --public)")
	}
	st, err := openStore(env, p.store.home)
	if err != nil {
		return nil, err
	}
	me, err := author(st, p.as)
	if err != nil {
		return nil, err
	}
	if _, err := unlock(env, me, p.store.passphraseFile); err != nil {
		return nil, err
	}
	rcpts, err := recipients(st, p.to)
	if err != nil {
		return nil, err
	}
	return &sealer{flags: p, me: me, to: rcpts}, nil
}

// draft reads the text of a post from r (at most envelope.MaxPostSize
// bytes) and makes the post of it that the flags describe.
func (s *sealer) draft(r io.Reader) (*post.Draft, error) {
	text, err := io.ReadAll(io.LimitReader(r, envelope.MaxPostSize+1))
	if err != nil {
		return nil, err
	}
	if len(text) > envelope.MaxPostSize {
		return nil, fmt.Errorf("post longer than %d bytes: use --raw for files", envelope.MaxPostSize)
	}
	f := s.flags
	return &post.Draft{
		Post:   envelope.Post{Text: string(text), Site: f.site, Handle: f.handle, ReplyTo: f.replyTo},
		Author: s.me,
		To:     s.to,
		Public: f.public,
		Hidden: f.hidden,
	}, nil
}

// sealPost reads the text of a post from r and writes the sealed post, one
// binary OpenPGP message, to w.
func (s *sealer) sealPost(w io.Writer, r io.Reader) error {
	d, err := s.draft(r)
	if err != nil {
		return err
	}
	return post.Seal(w, d)
}

// sealRaw encrypts (or, for a public message, signs) r as it is.
func (s *sealer) sealRaw(w io.Writer, r io.Reader) error {
	var pw io.WriteCloser
	var err error
	if s.flags.public {
		pw, err = envelope.Sign(w, s.me.Entity(), nil)
	} else {
		pw, err = envelope.Encrypt(w, append(s.to, s.me.Entity()), s.me.Entity(), &envelope.SealOptions{Hidden: s.flags.hidden})
	}
	if err != nil {
		return err
	}
	if _, err := io.Copy(pw, r); err != nil {
		return err
	}
	return pw.Close()
}

func runEncrypt(env Env, args []string) error {
	fs := newFlags(env, "encrypt", "encrypt --to FRIEND... [options] < post.txt > post.asc")
	var pf postFlags
	pf.register(fs)
	raw := fs.Bool("raw", false, "encrypt the input as it is (a file), not as a post document")
	binary := fs.Bool("binary", false, "binary output instead of ASCII armor")
	out := fs.String("out", "", "output file (default stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := pf.sealer(env)
	if err != nil {
		return err
	}
	w, finish, err := output(env, *out, !*binary)
	if err != nil {
		return err
	}
	seal := s.sealPost
	if *raw {
		seal = s.sealRaw
	}
	if err := seal(w, env.Stdin); err != nil {
		finish(false)
		return err
	}
	return finish(true)
}

// output opens the destination of a message, armoring it when asked. The
// returned finish closes it; finish(false) discards a partial file.
func output(env Env, name string, armored bool) (io.Writer, func(ok bool) error, error) {
	var dst io.Writer = env.Stdout
	var file *os.File
	if name != "" && name != "-" {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, nil, err
		}
		file, dst = f, f
	}
	// Buffer so that a failure leaves nothing half-written on stdout.
	var buf bytes.Buffer
	var w io.Writer = &buf
	var aw io.WriteCloser
	if armored {
		var err error
		aw, err = armor.Encode(&buf, "PGP MESSAGE", nil)
		if err != nil {
			return nil, nil, err
		}
		w = aw
	}
	finish := func(ok bool) error {
		if !ok {
			if file != nil {
				file.Close()
				os.Remove(name)
			}
			return nil
		}
		if aw != nil {
			if err := aw.Close(); err != nil {
				return err
			}
		}
		if _, err := dst.Write(buf.Bytes()); err != nil {
			return err
		}
		if file != nil {
			if err := file.Sync(); err != nil {
				return err
			}
			return file.Close()
		}
		return nil
	}
	return w, finish, nil
}

// postWriter keeps the plaintext in memory while it may be a post document
// and streams it to out once it is clearly larger than one.
type postWriter struct {
	buf     bytes.Buffer
	out     io.Writer
	spilled bool
}

func (p *postWriter) Write(b []byte) (int, error) {
	if p.spilled {
		return p.out.Write(b)
	}
	if p.buf.Len()+len(b) <= envelope.MaxPostSize {
		return p.buf.Write(b)
	}
	p.spilled = true
	if _, err := p.out.Write(p.buf.Bytes()); err != nil {
		return 0, err
	}
	p.buf = bytes.Buffer{}
	return p.out.Write(b)
}

// decryptReport is what --json prints.
type decryptReport struct {
	Post       *envelope.Post `json:"post,omitempty"`
	Public     bool           `json:"public"`
	Signature  string         `json:"signature"`
	Signer     string         `json:"signer,omitempty"`
	SignerUID  string         `json:"signer_uid,omitempty"`
	Recipients []string       `json:"recipients"`
	Hidden     int            `json:"hidden_recipients,omitempty"`
	SessionKey string         `json:"session_key,omitempty"`
}

func runDecrypt(env Env, args []string) error {
	fs := newFlags(env, "decrypt", "decrypt [--share FILE]... [options] [MESSAGE] (stdin without MESSAGE)")
	var sf storeFlags
	sf.register(fs)
	var shares stringList
	fs.Var(&shares, "share", "key packets published later for this post (repeatable)")
	asJSON := fs.Bool("json", false, "print the post and its verification as JSON")
	out := fs.String("out", "", "write the plaintext to this file (must not exist)")
	requireSig := fs.Bool("require-signature", false, "fail unless a known key signed the message")
	showSK := fs.Bool("session-key", false, "print the session key (ALGO:HEX) on stderr")
	as := fs.String("as", "", "decrypt only with this persona (default: any)")
	st, err := sf.open(env, fs, args)
	if err != nil {
		return err
	}
	kr, err := keyring(env, st, sf.passphraseFile, *as)
	if err != nil {
		return err
	}
	in, done, err := input(env, fs.Arg(0))
	if err != nil {
		return err
	}
	defer done()
	var shareBytes [][]byte
	for _, s := range shares {
		b, err := os.ReadFile(s)
		if err != nil {
			return err
		}
		shareBytes = append(shareBytes, b)
	}
	msg, err := envelope.Join(in, shareBytes...)
	if err != nil {
		return err
	}
	var dst io.Writer = env.Stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		dst = f
	}
	pw := &postWriter{out: dst}
	res, err := envelope.Decrypt(msg, pw, &envelope.OpenOptions{Keyring: kr, KeepSessionKey: *showSK})
	if err != nil {
		if *out != "" {
			os.Remove(*out)
		}
		return err
	}
	rep := decryptReport{Public: !res.Encrypted, Signature: "none"}
	sig, good := res.Verified()
	if !good && len(res.Signatures) > 0 {
		sig = res.Signatures[0]
	}
	if res.Signed {
		rep.Signature = sig.Status.String()
		rep.Signer = sig.Fingerprint
		if sig.Signer != nil {
			rep.SignerUID = persona.UserID(sig.Signer)
		}
		if rep.Signer == "" {
			rep.Signer = persona.KeyIDString(sig.IssuerKeyID)
		}
	}
	for _, r := range res.Recipients {
		if r.Hidden {
			rep.Hidden++
			continue
		}
		rep.Recipients = append(rep.Recipients, persona.KeyIDString(r.KeyID))
	}
	if res.SessionKey != nil {
		rep.SessionKey = res.SessionKey.String()
	}
	if *requireSig && !good {
		return fmt.Errorf("%w: no good signature by a known key (%s)", envelope.ErrBadSignature, rep.Signature)
	}
	var post *envelope.Post
	if !pw.spilled {
		post = asPost(pw.buf.Bytes())
		if post != nil && good && post.Author != sig.Fingerprint {
			return fmt.Errorf("%w: post names author %s but is signed by %s", envelope.ErrBadSignature, post.Author, sig.Fingerprint)
		}
	}
	rep.Post = post
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if !pw.spilled {
		body := pw.buf.Bytes()
		if post != nil {
			body = []byte(post.Text)
			if !bytes.HasSuffix(body, []byte("\n")) {
				body = append(body, '\n')
			}
		}
		if _, err := dst.Write(body); err != nil {
			return err
		}
	}
	summarize(env, rep)
	return nil
}

func asPost(b []byte) *envelope.Post {
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	var p envelope.Post
	if err := json.Unmarshal(b, &p); err != nil || p.Validate() != nil {
		return nil
	}
	return &p
}

func summarize(env Env, rep decryptReport) {
	w := env.Stderr
	kind := "private"
	if rep.Public {
		kind = "public (signed, not encrypted)"
	}
	switch rep.Signature {
	case "good":
		fmt.Fprintf(w, "veil: %s message, good signature by %s %s\n", kind, rep.Signer, rep.SignerUID)
	case "unknown signer":
		fmt.Fprintf(w, "veil: %s message, signed by unknown key %s (not verified)\n", kind, rep.Signer)
	default:
		fmt.Fprintf(w, "veil: %s message, not signed\n", kind)
	}
	if !rep.Public {
		fmt.Fprintf(w, "veil: audience %d key(s)", len(rep.Recipients)+rep.Hidden)
		if rep.Hidden > 0 {
			fmt.Fprintf(w, ", %d hidden", rep.Hidden)
		}
		fmt.Fprintf(w, ": %s\n", strings.Join(rep.Recipients, " "))
	}
	if rep.Post != nil {
		fmt.Fprintf(w, "veil: post of %s", rep.Post.Created.Format("2006-01-02 15:04 MST"))
		if rep.Post.Site != "" {
			fmt.Fprintf(w, " on %s as @%s", rep.Post.Site, rep.Post.Handle)
		}
		fmt.Fprintln(w)
	}
	if rep.SessionKey != "" {
		fmt.Fprintf(w, "veil: session key %s\n", rep.SessionKey)
	}
}

const shareUsage = `share add --to FRIEND... [--hidden] [--out FILE] [--armor] [POST]

Makes key packets (a share) that let more friends read a post without
re-encrypting it. POST is a link to a post on a relay (or its CID, or an
inline link): the share is published there, signed with the post's share key,
so only the post's author can. POST as a file (or stdin) makes the share
offline, for you to send: put it in front of the message,
cat share post.pgp | gpg -d`

func runShare(env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.Stdout, "Usage: veil "+shareUsage)
		if len(args) == 0 {
			return usagef("missing share subcommand")
		}
		return nil
	}
	if args[0] != "add" {
		return usagef("unknown share subcommand %q", args[0])
	}
	fs := newFlags(env, "share add", "share add --to FRIEND... [--hidden] [--out FILE] [--armor] [--relay URL] [LINK | CID | FILE]")
	var sf storeFlags
	sf.register(fs)
	var rf relayFlags
	rf.register(fs)
	var to stringList
	fs.Var(&to, "to", "new recipient: contact, persona or key file (repeatable)")
	hidden := fs.Bool("hidden", false, "hide the new recipients' key IDs")
	out := fs.String("out", "", "write the share here (default stdout, binary; with a link, only published unless set)")
	armored := fs.Bool("armor", false, "ASCII-armor the share")
	as := fs.String("as", "", "with a link: the persona that wrote the post (default: its signer)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if len(to) == 0 {
		return usagef("name at least one --to")
	}
	if arg := fs.Arg(0); arg != "" && arg != "-" {
		if _, err := os.Stat(arg); errors.Is(err, os.ErrNotExist) {
			ctx, cancel := commandContext(requestTimeout)
			t, perr := post.ParseTarget(ctx, arg)
			cancel()
			if perr == nil {
				return shareOnline(env, sf, rf, t, to, *as, *hidden, *out, *armored)
			}
		}
	}
	_, kr, rcpts, err := shareParties(env, sf, to)
	if err != nil {
		return err
	}
	in, done, err := input(env, fs.Arg(0))
	if err != nil {
		return err
	}
	defer done()
	share, err := envelope.AddRecipients(in, secretOnly(kr), rcpts, *hidden)
	if err != nil {
		return err
	}
	w, finish, err := output(env, *out, *armored)
	if err != nil {
		return err
	}
	if _, err := w.Write(share.Bytes); err != nil {
		finish(false)
		return err
	}
	return finish(true)
}

func secretOnly(el openpgp.EntityList) openpgp.EntityList {
	var out openpgp.EntityList
	for _, e := range el {
		if e.PrivateKey != nil {
			out = append(out, e)
		}
	}
	return out
}
