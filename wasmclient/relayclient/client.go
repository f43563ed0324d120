package relayclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// DefaultMaxBlobSize is the largest blob Get reads unless WithMaxBlobSize
// says otherwise; it is the relay's default upload cap.
const DefaultMaxBlobSize = 64 << 20

// maxJSON bounds a JSON answer (key lookups carry whole certificates).
const maxJSON = 32 << 20

// Client talks to one relay. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	tr      Transport
	ua      string
	maxBlob int64
}

// Option configures a Client.
type Option func(*Client)

// WithUserAgent sets the User-Agent of requests (browsers may ignore it).
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// WithMaxBlobSize sets the largest blob Get accepts.
func WithMaxBlobSize(n int64) Option { return func(c *Client) { c.maxBlob = n } }

// New returns a client of the relay at baseURL: http:// or https://, a host,
// and optionally a path under which the relay's API is mounted.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("relayclient: relay URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("relayclient: relay URL %q: want http(s)://host[:port][/path]", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, tr: defaultTransport(), ua: "veil-relayclient", maxBlob: DefaultMaxBlobSize}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL is the relay's base URL as the client uses it, without a trailing
// slash.
func (c *Client) BaseURL() string { return c.base.String() }

// endpoint returns the URL of an API path ("/v1/…") with a query.
func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	return u.String()
}

// request is one API call.
type request struct {
	method string
	path   string
	query  url.Values
	header Header
	body   []byte
	ctype  string
	// want is the success status; 0 accepts any 2xx.
	want int
}

// do sends r and returns the response of a successful call, whose body the
// caller must close; a failure status becomes an *Error.
func (c *Client) do(ctx context.Context, r request) (*Response, error) {
	req := &Request{Method: r.method, URL: c.endpoint(r.path, r.query), Header: Header{}, Body: r.body}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	resp, err := c.tr.RoundTrip(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("relayclient: %s %s: %w", r.method, r.path, err)
	}
	ok := resp.Status >= 200 && resp.Status < 300
	if r.want != 0 {
		ok = resp.Status == r.want
	}
	if !ok {
		defer resp.Body.Close()
		return nil, responseError(resp.Status, resp.Header, resp.Body)
	}
	return resp, nil
}

// doJSON sends r and decodes the JSON answer into out.
func (c *Client) doJSON(ctx context.Context, r request, out any) error {
	if r.header == nil {
		r.header = Header{}
	}
	r.header.Set("Accept", "application/json")
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxJSON))
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrBadResponse, r.method, r.path, err)
	}
	return nil
}

// readAll reads a body of at most limit bytes.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("relayclient: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: the relay sent more than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// Info is what a relay says about itself (GET /v1/info).
type Info struct {
	Name     string `json:"name"`
	Software string `json:"software"` // "veil"
	Version  string `json:"version"`
	// URL is the relay's public base URL, what its links use.
	URL       string   `json:"url,omitempty"`
	PeerID    string   `json:"peer_id,omitempty"`
	Addrs     []string `json:"addrs,omitempty"`
	Limits    Limits   `json:"limits"`
	Protocols []string `json:"protocols,omitempty"`
	// Stake is the relay's listing in the on-chain relay registry, when it
	// is configured with one.
	Stake *Stake `json:"stake,omitempty"`
}

// Stake is a relay's standing in the on-chain relay registry
// (docs/CHAIN.md): amounts are decimal VEIL.
type Stake struct {
	Registry   string `json:"registry"`
	ChainID    uint64 `json:"chain_id,omitempty"`
	Operator   string `json:"operator,omitempty"`
	Registered bool   `json:"registered"`
	// Active is set while the relay is in the registry's active set, at
	// Rank (1 is the most staked).
	Active        bool   `json:"active"`
	Rank          int    `json:"rank,omitempty"`
	TotalStake    string `json:"total_stake,omitempty"`
	SelfStake     string `json:"self_stake,omitempty"`
	CommissionBps int    `json:"commission_bps,omitempty"`
	// ActiveSetSize is how many relays the active set holds; Peers how many
	// of the others answered as the peers the registry lists.
	ActiveSetSize int       `json:"active_set_size"`
	Peers         int       `json:"peers_found"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
	// Error is what went wrong in the last round with the chain, if anything.
	Error string `json:"error,omitempty"`
}

// Limits are what a client must stay within: sizes in bytes.
type Limits struct {
	MaxBlobSize      int64   `json:"max_blob_size"`
	MaxShareSize     int64   `json:"max_share_size,omitempty"`
	QuotaAnon        int64   `json:"quota_anonymous,omitempty"`
	QuotaPersona     int64   `json:"quota_persona,omitempty"`
	RateAnon         float64 `json:"uploads_per_second_anonymous,omitempty"`
	RatePersona      float64 `json:"uploads_per_second_persona,omitempty"`
	MaxSubscriptions int     `json:"max_subscriptions,omitempty"`
}

// Info asks the relay about itself.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	var info Info
	if err := c.doJSON(ctx, request{method: "GET", path: "/v1/info"}, &info); err != nil {
		return nil, err
	}
	if info.Software != "" && info.Software != "veil" {
		return nil, fmt.Errorf("%w: %s is not a Veil relay (software %q)", ErrBadResponse, c.BaseURL(), info.Software)
	}
	return &info, nil
}

// isNotFound reports a 404 from the relay.
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
