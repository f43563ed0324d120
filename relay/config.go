package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything a relay can be told. Zero values take the defaults
// of Defaults; the same settings come from flags, VEIL_* environment
// variables and a JSON config file (see LoadFile and FromEnv).
type Config struct {
	// Listen is the HTTP address ("127.0.0.1:8080"; port 0 picks one).
	Listen string `json:"listen"`
	// DataDir holds the blockstore and all metadata.
	DataDir string `json:"data_dir"`
	// Redis ("redis://host:6379/0"), when set, makes the relay processes
	// that share it one service: live events, rate limits and every write
	// (blobs, shares, keys) go through it (see relay/cluster).
	Redis string `json:"redis"`
	// RedisLogMax is about how many writes the cluster log in Redis keeps
	// for processes that were away (default 100,000).
	RedisLogMax int64 `json:"redis_log_max"`
	// P2PListen are libp2p multiaddrs to listen on ("/ip4/0.0.0.0/tcp/4001");
	// with them, or with Peers or MDNS, the relay joins the relay network.
	P2PListen []string `json:"p2p_listen"`
	// Peers are relays to connect to (multiaddrs ending in /p2p/<id>).
	Peers []string `json:"peers"`
	// MDNS finds relays on the local network.
	MDNS bool `json:"mdns"`
	// Name is shown in /v1/info.
	Name string `json:"name"`
	// PublicURL is how clients reach this relay (links in feed text); by
	// default http://<listen address>.
	PublicURL string `json:"public_url"`
	// WebWasmDir, when set, is a directory holding the client's veil.wasm
	// and wasm_exec.js (bin/ after `make wasm`): the web front serves them
	// at /web/ in place of any embedded copies, so the post viewer decrypts
	// in the page without rebuilding the relay. New fails if either is
	// missing.
	WebWasmDir string `json:"web_wasm_dir"`

	// The on-chain relay registry (docs/CHAIN.md; relay/staking). ChainRPC
	// is an EVM JSON-RPC endpoint and Registry the RelayRegistry contract;
	// ChainFile, a file `veil devchain` wrote, gives both. With them the
	// relay reads the registry's active set to find peers (it must be
	// federated: p2p_listen) and shows its stake in /v1/info.
	ChainRPC  string `json:"chain_rpc"`
	ChainFile string `json:"chain_file"`
	Registry  string `json:"registry"`
	// OperatorKey registers the relay in the registry: a file holding the
	// operator's private key in hex, or "devchain:<account>" for one of the
	// dev chain file's accounts.
	OperatorKey string `json:"operator_key"`
	// Stake is the self-stake to register with, in VEIL ("1000"; empty: the
	// registry's minimum); CommissionBps the commission asked of
	// delegators, in basis points.
	Stake         string `json:"stake"`
	CommissionBps int    `json:"commission_bps"`
	// RegistryInterval is how often the active set is read (default 1m).
	RegistryInterval Duration `json:"registry_interval"`

	MaxBlobSize   int64 `json:"max_blob_size"`   // bytes, per upload
	RawLimit      int64 `json:"raw_limit"`       // blobs up to this size are one raw block
	QuotaAnon     int64 `json:"quota_anon"`      // bytes pinned per anonymous uploader (per IP)
	QuotaPersona  int64 `json:"quota_persona"`   // bytes pinned per persona that signs its uploads
	QuotaTotal    int64 `json:"quota_total"`     // bytes stored in total (0 = no cap)
	MaxShareSize  int64 `json:"max_share_size"`  // bytes of key packets per share
	MaxHeaderSize int   `json:"max_header_size"` // bytes of request headers

	// Rates are requests per second with a burst, per client IP (anonymous)
	// and per persona (signed uploads).
	RateAnon      float64  `json:"rate_anon"`
	BurstAnon     int      `json:"burst_anon"`
	RatePersona   float64  `json:"rate_persona"`
	BurstPersona  int      `json:"burst_persona"`
	RateRead      float64  `json:"rate_read"` // GETs per IP
	BurstRead     int      `json:"burst_read"`
	MaxWSConns    int      `json:"max_ws_connections"`
	MaxWSSubs     int      `json:"max_ws_subscriptions"`
	HistorySize   int      `json:"history_size"` // events kept per channel for resuming clients
	ShutdownGrace Duration `json:"shutdown_grace"`
	// GCInterval is how often unpinned blocks (failed or abandoned
	// uploads) are collected; negative turns collection off.
	GCInterval Duration `json:"gc_interval"`
}

// Duration is a time.Duration that reads and writes as "30s" in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "30s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		*d = Duration(v)
		return err
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("duration: want \"30s\" or seconds")
	}
	*d = Duration(n * float64(time.Second))
	return nil
}

// Defaults is the embedded default configuration.
func Defaults() Config {
	return Config{
		Listen:        "127.0.0.1:8080",
		DataDir:       "veil-data",
		Name:          "veil relay",
		MaxBlobSize:   64 << 20,
		RawLimit:      1 << 20,
		QuotaAnon:     256 << 20,
		QuotaPersona:  4 << 30,
		MaxShareSize:  64 << 10,
		MaxHeaderSize: 16 << 10,
		RateAnon:      50,
		BurstAnon:     200,
		RatePersona:   500,
		BurstPersona:  2000,
		RateRead:      2000,
		BurstRead:     5000,
		MaxWSConns:    10000,
		MaxWSSubs:     64,
		HistorySize:   1000,
		ShutdownGrace: Duration(10 * time.Second),
		GCInterval:    Duration(time.Hour),
	}
}

// withDefaults fills zero fields from Defaults.
func (c Config) withDefaults() Config {
	d := Defaults()
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.DataDir == "" {
		c.DataDir = d.DataDir
	}
	if c.Name == "" {
		c.Name = d.Name
	}
	setI64 := func(v *int64, def int64) {
		if *v == 0 {
			*v = def
		}
	}
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setI64(&c.MaxBlobSize, d.MaxBlobSize)
	setI64(&c.RawLimit, d.RawLimit)
	setI64(&c.QuotaAnon, d.QuotaAnon)
	setI64(&c.QuotaPersona, d.QuotaPersona)
	setI64(&c.MaxShareSize, d.MaxShareSize)
	setInt(&c.MaxHeaderSize, d.MaxHeaderSize)
	setF(&c.RateAnon, d.RateAnon)
	setInt(&c.BurstAnon, d.BurstAnon)
	setF(&c.RatePersona, d.RatePersona)
	setInt(&c.BurstPersona, d.BurstPersona)
	setF(&c.RateRead, d.RateRead)
	setInt(&c.BurstRead, d.BurstRead)
	setInt(&c.MaxWSConns, d.MaxWSConns)
	setInt(&c.MaxWSSubs, d.MaxWSSubs)
	setInt(&c.HistorySize, d.HistorySize)
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = d.ShutdownGrace
	}
	if c.GCInterval == 0 {
		c.GCInterval = d.GCInterval
	}
	return c
}

// LoadFile reads a JSON config file over c (fields it names replace c's).
// Unknown fields are an error, so a typo is not silently ignored.
func LoadFile(c *Config, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// FromEnv applies VEIL_* environment variables named after the JSON fields
// (VEIL_LISTEN, VEIL_DATA_DIR, VEIL_MAX_BLOB_SIZE, …) over c.
func FromEnv(c *Config, getenv func(string) string) error {
	raw := map[string]any{}
	b, _ := json.Marshal(c)
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	changed := false
	for key, cur := range raw {
		v := getenv("VEIL_" + strings.ToUpper(key))
		if v == "" {
			continue
		}
		changed = true
		switch cur.(type) {
		case float64:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("VEIL_%s: %w", strings.ToUpper(key), err)
			}
			raw[key] = n
		default:
			raw[key] = v
		}
	}
	if !changed {
		return nil
	}
	b, _ = json.Marshal(raw)
	return json.Unmarshal(b, c)
}

// ShutdownGrace is how long a stopping relay lets requests finish.
func ShutdownGrace(c Config) time.Duration {
	return time.Duration(c.withDefaults().ShutdownGrace)
}
