package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-datastore"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/persona"
)

// DefaultMaxKeySize is the size cap of an upload and of a stored
// certificate when Options.MaxKeySize is zero.
const DefaultMaxKeySize = 64 << 10

// DefaultCacheSize is how many parsed records are kept in memory when
// Options.CacheSize is zero.
const DefaultCacheSize = 8192

// MaxResults caps how many records one lookup returns (many keys may claim
// the same address or handle; all up to this many are returned).
const MaxResults = 100

// Statuses of a submitted key.
const (
	StatusNew       = "new"       // the directory did not know the key
	StatusUpdated   = "updated"   // something was merged into a known key
	StatusUnchanged = "unchanged" // the upload added nothing
)

// Errors a caller can test with errors.Is. Every error the package returns
// is also an *api.Error (errors.As) with its HTTP status and stable code.
var (
	ErrNotFound   = errors.New("directory: no such key")
	ErrBadKey     = errors.New("directory: key without valid self-signatures")
	ErrSecretKey  = errors.New("directory: upload holds secret key material")
	ErrNotOpenPGP = errors.New("directory: no OpenPGP key in upload")
	ErrTooLarge   = errors.New("directory: key over the size cap")
	ErrBadQuery   = errors.New("directory: bad query or request")
)

// dirError pairs an API error (status, code, message for the client) with
// the sentinel it is an instance of.
type dirError struct {
	api  *api.Error
	kind error
}

func (e *dirError) Error() string   { return "directory: " + e.api.Message }
func (e *dirError) Unwrap() []error { return []error{e.api, e.kind} }

func fail(kind error, status int, code, format string, a ...any) error {
	return &dirError{api: api.Errorf(status, code, format, a...), kind: kind}
}

// Options configure a Directory.
type Options struct {
	// MaxKeySize caps an upload and a stored certificate, in bytes
	// (default 64 KiB).
	MaxKeySize int
	// OnUpdate is called after a key was added or changed (the relay
	// publishes a "directory" event). It runs on the submitting goroutine,
	// after the change is durable, with the context given to Submit.
	OnUpdate func(ctx context.Context, fpr string)
	// Refresh, when set, is called before a lookup answers "no such key",
	// and the lookup is then tried once more. A relay whose processes
	// share a directory catches up with the others there.
	Refresh func(ctx context.Context)
	// Registerer takes the veil_directory_* metrics (none if nil).
	Registerer prometheus.Registerer
	// Logger logs submissions and failures (slog.Default() if nil).
	Logger *slog.Logger
	// CacheSize bounds the parsed records kept in memory (default 8192).
	CacheSize int
	// WKDDomains, when not empty, limits WKD answers to these mail domains
	// (an operator pointing a domain's WKD at the relay). When empty, WKD
	// answers for any domain from the directory's unverified data.
	WKDDomains []string
}

// Directory is the key directory. It is safe for concurrent use.
type Directory struct {
	ds      datastore.Batching
	opts    Options
	log     *slog.Logger
	mu      sync.Mutex // serializes writes
	cache   *cache
	metrics *metrics
	wkd     map[string]bool
}

// New opens the directory kept in ds. ds must be durable (the relay gives it
// a leveldb datastore); the directory keeps its keys under /directory.
func New(ds datastore.Batching, opts Options) (*Directory, error) {
	if ds == nil {
		return nil, errors.New("directory: nil datastore")
	}
	if opts.MaxKeySize <= 0 {
		opts.MaxKeySize = DefaultMaxKeySize
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	d := &Directory{
		ds:    ds,
		opts:  opts,
		log:   opts.Logger,
		cache: newCache(opts.CacheSize),
	}
	if len(opts.WKDDomains) > 0 {
		d.wkd = map[string]bool{}
		for _, dom := range opts.WKDDomains {
			d.wkd[asciiLower(strings.TrimSuffix(dom, "."))] = true
		}
	}
	n, err := d.count(context.Background())
	if err != nil {
		return nil, fmt.Errorf("directory: failed to read the datastore: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	m.keys.Set(float64(n))
	d.metrics = m
	return d, nil
}

// KeyResult is what became of one submitted key.
type KeyResult struct {
	Fingerprint string `json:"fingerprint"`
	Status      string `json:"status"` // StatusNew, StatusUpdated or StatusUnchanged
}

// Rejected is a key in an upload that was not taken, and why.
type Rejected struct {
	Fingerprint string `json:"fingerprint,omitempty"`
	Reason      string `json:"reason"`
}

// SubmitResult is the outcome of a submission.
type SubmitResult struct {
	Keys []KeyResult `json:"keys"`
	// Rejected lists keys of a multi-key upload that were refused while
	// others were taken.
	Rejected []Rejected `json:"rejected,omitempty"`
}

// Record is what the directory knows about one key. Records returned by Get
// and Lookup are the caller's to keep.
type Record struct {
	Fingerprint string `json:"fingerprint"`
	Version     int    `json:"version"`
	// KeyIDs are the 64-bit key IDs of the primary key and each subkey.
	KeyIDs []string `json:"key_ids"`
	// UserIDs are the user IDs with a valid self-signature that are not
	// revoked.
	UserIDs []string `json:"user_ids"`
	// Emails are the addresses in those user IDs, lower-cased. Nobody
	// checked that the key's owner receives mail there.
	Emails         []string `json:"emails"`
	EmailsVerified bool     `json:"emails_verified"` // always false
	// Claims are the Keyoxide social claims of the primary user ID. A
	// client verifies one by finding openpgp4fpr:<fingerprint> on the
	// profile.
	Claims         []persona.Claim `json:"claims"`
	ClaimsVerified bool            `json:"claims_verified"` // always false
	Algorithm      int             `json:"algorithm"`       // OpenPGP public-key algorithm ID
	Bits           int             `json:"bits,omitempty"`
	Created        time.Time       `json:"created"`          // key creation time
	Expires        time.Time       `json:"expires,omitzero"` // zero if it does not expire
	Added          time.Time       `json:"added"`            // first published here
	Updated        time.Time       `json:"updated"`          // last changed here
	Revoked        bool            `json:"revoked"`
	Armored        string          `json:"armored"` // the stored certificate
}

func (r *Record) clone() *Record {
	c := *r
	c.KeyIDs = append([]string(nil), r.KeyIDs...)
	c.UserIDs = append([]string(nil), r.UserIDs...)
	c.Emails = append([]string(nil), r.Emails...)
	c.Claims = append([]persona.Claim(nil), r.Claims...)
	return &c
}

// Query selects keys: set exactly one of Fingerprint, KeyID, Email, or Site
// with Handle.
type Query struct {
	Fingerprint string // primary or subkey fingerprint, hex (0x and spaces allowed)
	KeyID       string // 16 hex digits, primary or subkey
	Email       string
	Site        string // "twitter" (or "x") or "facebook"
	Handle      string
}

// Submit publishes one or more keys, armored or binary. Each key is cleaned
// (see the package documentation) and merged into what the directory holds.
// Keys without a valid self-signature are refused (ErrBadKey; in a
// multi-key upload the others are taken and the refused ones listed); an
// upload with secret key material is refused whole (ErrSecretKey).
func (d *Directory) Submit(ctx context.Context, keyData []byte) (SubmitResult, error) {
	return d.submit(ctx, keyData, 0)
}

func (d *Directory) submit(ctx context.Context, keyData []byte, maxKeys int) (res SubmitResult, err error) {
	start := time.Now()
	defer func() {
		d.metrics.submitDuration.Observe(time.Since(start).Seconds())
		if err != nil {
			d.metrics.rejected.WithLabelValues(api.FromError(err).Code).Inc()
		}
	}()
	if len(keyData) > d.opts.MaxKeySize {
		return res, fail(ErrTooLarge, http.StatusRequestEntityTooLarge, api.CodeTooLarge, "key upload is larger than %d bytes", d.opts.MaxKeySize)
	}
	if len(bytes.TrimSpace(keyData)) == 0 {
		return res, fail(ErrNotOpenPGP, http.StatusBadRequest, api.CodeNotOpenPGP, "empty key upload")
	}
	up, err := readUpload(keyData)
	switch {
	case errors.Is(err, errSecret):
		return res, fail(ErrSecretKey, http.StatusUnprocessableEntity, api.CodeBadKey, "upload holds secret key material: send only the public key (nothing was stored)")
	case err != nil:
		return res, fail(ErrNotOpenPGP, http.StatusBadRequest, api.CodeNotOpenPGP, "no OpenPGP public key found in upload")
	}
	if maxKeys > 0 && len(up.keys)+len(up.rejected) > maxKeys {
		return res, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "upload holds %d keys; send one at a time", len(up.keys)+len(up.rejected))
	}
	res.Rejected = up.rejected
	if len(up.keys) == 0 {
		reasons := make([]string, 0, len(up.rejected))
		for _, r := range up.rejected {
			reasons = append(reasons, fmt.Sprintf("%s: %s", r.Fingerprint, r.Reason))
		}
		return res, fail(ErrBadKey, http.StatusUnprocessableEntity, api.CodeBadKey, "no acceptable key: %s", strings.Join(reasons, "; "))
	}
	changed, keys, err := d.store(ctx, up)
	if err != nil {
		return SubmitResult{}, err
	}
	res.Keys = keys
	for _, k := range res.Keys {
		d.metrics.submitted.WithLabelValues(k.Status).Inc()
	}
	for _, fpr := range changed {
		d.log.Info("directory: key published", "fingerprint", fpr)
		if d.opts.OnUpdate != nil {
			d.opts.OnUpdate(ctx, fpr)
		}
	}
	return res, nil
}

// Get returns the record of the key with this primary fingerprint.
func (d *Directory) Get(ctx context.Context, fpr string) (*Record, error) {
	fp, ok := normalizeFingerprint(fpr)
	if !ok {
		return nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad fingerprint %q (want 40 or 64 hex digits)", fpr)
	}
	e, err := d.find(ctx, fp)
	if err != nil {
		return nil, err
	}
	return e.rec.clone(), nil
}

// find is entry, refreshed once on a miss (see Options.Refresh).
func (d *Directory) find(ctx context.Context, fpr string) (*entry, error) {
	e, err := d.entry(ctx, fpr)
	if errors.Is(err, ErrNotFound) && d.opts.Refresh != nil {
		d.opts.Refresh(ctx)
		e, err = d.entry(ctx, fpr)
	}
	return e, err
}

// Lookup returns every key that matches q, up to MaxResults, ordered by
// fingerprint. No match is an empty list, not an error.
func (d *Directory) Lookup(ctx context.Context, q Query) ([]*Record, error) {
	es, err := d.lookup(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]*Record, len(es))
	for i, e := range es {
		out[i] = e.rec.clone()
	}
	return out, nil
}

// lookup answers a query with cached entries.
func (d *Directory) lookup(ctx context.Context, q Query) ([]*entry, error) {
	set := 0
	for _, s := range []string{q.Fingerprint, q.KeyID, q.Email, q.Site + q.Handle} {
		if strings.TrimSpace(s) != "" {
			set++
		}
	}
	if set != 1 {
		return nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "give exactly one of fingerprint, key ID, email or site and handle")
	}
	kind, es, err := d.search(ctx, q)
	if err == nil && len(es) == 0 && d.opts.Refresh != nil {
		d.opts.Refresh(ctx)
		kind, es, err = d.search(ctx, q)
	}
	if err != nil {
		return nil, err
	}
	d.metrics.lookup(kind, len(es) > 0)
	return es, nil
}

// search answers a query with exactly one field set; kind names the field.
func (d *Directory) search(ctx context.Context, q Query) (kind string, es []*entry, err error) {
	switch {
	case q.Fingerprint != "":
		kind = "fingerprint"
		es, err = d.byFingerprint(ctx, q.Fingerprint)
	case q.KeyID != "":
		kind = "keyid"
		id, ok := normalizeKeyID(q.KeyID)
		if !ok {
			return kind, nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad key ID %q (want 16 hex digits; short key IDs are not accepted)", q.KeyID)
		}
		es, err = d.byIndex(ctx, keyIDIndex(id), nil)
	case q.Email != "":
		kind = "email"
		addr, ok := normalizeEmail(q.Email)
		if !ok {
			return kind, nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad email %q", q.Email)
		}
		es, err = d.byIndex(ctx, emailIndex(addr), nil)
	default:
		kind = "handle"
		c, cerr := persona.ParseClaim(q.Site + ":" + q.Handle)
		if cerr != nil {
			return kind, nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad handle: %v", cerr)
		}
		es, err = d.byIndex(ctx, handleIndex(c), nil)
	}
	return kind, es, err
}

// byFingerprint finds a key by its primary fingerprint, or the key that has
// a subkey with this fingerprint.
func (d *Directory) byFingerprint(ctx context.Context, s string) ([]*entry, error) {
	fp, ok := normalizeFingerprint(s)
	if !ok {
		return nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad fingerprint %q (want 40 or 64 hex digits)", s)
	}
	e, err := d.entry(ctx, fp)
	if err == nil {
		return []*entry{e}, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return d.byIndex(ctx, keyIDIndex(keyIDOfFingerprint(fp)), func(e *entry) bool {
		for _, f := range e.fprs {
			if f == fp {
				return true
			}
		}
		return false
	})
}

// entry returns the cached entry of a fingerprint, loading it on a miss.
func (d *Directory) entry(ctx context.Context, fpr string) (*entry, error) {
	if e := d.cache.get(fpr); e != nil {
		d.metrics.cache.WithLabelValues("hit").Inc()
		return e, nil
	}
	d.metrics.cache.WithLabelValues("miss").Inc()
	st, err := d.load(ctx, fpr)
	if err != nil {
		return nil, err
	}
	e, err := newEntry(st)
	if err != nil {
		d.log.Error("directory: stored key does not parse", "fingerprint", fpr, "err", err)
		return nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "stored key %s does not parse", fpr)
	}
	d.cache.put(fpr, e)
	return e, nil
}

// byIndex returns the entries an index entry points at, optionally
// filtered, ordered by fingerprint.
func (d *Directory) byIndex(ctx context.Context, prefix string, keep func(*entry) bool) ([]*entry, error) {
	fprs, err := d.indexed(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []*entry
	for _, f := range fprs {
		e, err := d.entry(ctx, f)
		if errors.Is(err, ErrNotFound) {
			continue // removed between the index read and now
		}
		if err != nil {
			return nil, err
		}
		if keep == nil || keep(e) {
			out = append(out, e)
		}
		if len(out) == MaxResults {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rec.Fingerprint < out[j].rec.Fingerprint })
	return out, nil
}

// recordsJSON renders entries as {"keys": [record, …]} from their cached
// JSON.
func recordsJSON(es []*entry) []byte {
	n := 16
	for _, e := range es {
		n += len(e.json) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	buf.WriteString(`{"keys":[`)
	for i, e := range es {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(bytes.TrimSuffix(e.json, []byte("\n")))
	}
	buf.WriteString("]}\n")
	return buf.Bytes()
}

func marshalRecord(r *Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil // one line, with its newline
}

// readBody reads a request body up to limit bytes; more is ErrTooLarge.
func readBody(r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "failed to read the request body")
	}
	if len(data) > limit {
		return nil, fail(ErrTooLarge, http.StatusRequestEntityTooLarge, api.CodeTooLarge, "body is larger than %d bytes", limit)
	}
	return data, nil
}
