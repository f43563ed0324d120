package directory

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/persona"
)

// Datastore layout:
//
//	/directory/keys/<FPR>                         stored (JSON)
//	/directory/idx/keyid/<KEYID>/<FPR>            primary and subkey IDs
//	/directory/idx/email/<hex(addr)>/<FPR>        addresses in user IDs
//	/directory/idx/handle/<site>/<hex(handle)>/<FPR>  Keyoxide claims
//	/directory/idx/wkd/<hex(domain)>/<hash>/<FPR> WKD hashes of addresses
//
// Index values are empty. Free text (addresses, handles, domains) is hex
// encoded so that no user ID can form a path element such as "..".
const (
	rootPrefix = "/directory"
	keysPrefix = rootPrefix + "/keys/"
	idxPrefix  = rootPrefix + "/idx/"
)

// stored is the value of /directory/keys/<FPR>.
type stored struct {
	Cert    []byte    `json:"cert"` // cleaned binary certificate
	Added   time.Time `json:"added"`
	Updated time.Time `json:"updated"`
	// Index lists the index entries written for this key (without the
	// /<FPR> suffix), so an update removes exactly what it wrote.
	Index []string `json:"index"`
}

func keyIDIndex(id string) string { return idxPrefix + "keyid/" + id }
func emailIndex(addr string) string {
	return idxPrefix + "email/" + hex.EncodeToString([]byte(addr))
}
func handleIndex(c persona.Claim) string {
	return idxPrefix + "handle/" + c.Site + "/" + hex.EncodeToString([]byte(strings.ToLower(c.Handle)))
}
func wkdIndex(domain, hash string) string {
	return idxPrefix + "wkd/" + hex.EncodeToString([]byte(domain)) + "/" + hash
}

// entry is a parsed record with everything a lookup answers with.
type entry struct {
	rec     *Record
	cert    []byte
	armored []byte
	json    []byte   // rec as JSON, one line ending in a newline
	fprs    []string // primary and subkey fingerprints
	uids    []uidInfo
	index   []string
}

// uidInfo is a user ID as the HKP index lists it.
type uidInfo struct {
	id      string
	email   string // normalized, "" if none
	created time.Time
	expires time.Time
	revoked bool
}

// newEntry parses a stored certificate into an entry.
func newEntry(st *stored) (*entry, error) {
	e, err := parseCert(st.Cert)
	if err != nil {
		return nil, err
	}
	pk := e.PrimaryKey
	fpr := persona.Fingerprint(e)
	rec := &Record{
		Fingerprint: fpr,
		Version:     pk.Version,
		KeyIDs:      []string{pk.KeyIdString()},
		Algorithm:   int(pk.PubKeyAlgo),
		Created:     pk.CreationTime.UTC(),
		Added:       st.Added.UTC(),
		Updated:     st.Updated.UTC(),
		Revoked:     e.Revoked(time.Now()),
		Emails:      []string{},
		UserIDs:     []string{},
		Claims:      persona.Claims(e),
	}
	if rec.Claims == nil {
		rec.Claims = []persona.Claim{}
	}
	rec.Bits = keyBits(pk)
	if sig, err := e.PrimarySelfSignature(time.Time{}, nil); err == nil && sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs > 0 {
		rec.Expires = pk.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second).UTC()
	}
	ent := &entry{rec: rec, cert: st.Cert, fprs: []string{fpr}}
	for _, sk := range e.Subkeys {
		rec.KeyIDs = append(rec.KeyIDs, sk.PublicKey.KeyIdString())
		ent.fprs = append(ent.fprs, strings.ToUpper(hex.EncodeToString(sk.PublicKey.Fingerprint)))
	}
	names := make([]string, 0, len(e.Identities))
	for name := range e.Identities {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		id := e.Identities[name]
		info := uidInfo{id: name}
		info.email, _ = normalizeEmail(id.UserId.Email)
		sig, err := id.LatestValidSelfCertification(time.Time{}, nil)
		if err != nil {
			continue
		}
		info.created = sig.CreationTime.UTC()
		if sig.SigLifetimeSecs != nil && *sig.SigLifetimeSecs > 0 {
			info.expires = sig.CreationTime.Add(time.Duration(*sig.SigLifetimeSecs) * time.Second).UTC()
		}
		info.revoked = id.Revoked(sig, time.Time{}, nil)
		ent.uids = append(ent.uids, info)
		if info.revoked {
			continue
		}
		rec.UserIDs = append(rec.UserIDs, name)
		if info.email != "" && !slices.Contains(rec.Emails, info.email) {
			rec.Emails = append(rec.Emails, info.email)
		}
	}
	ent.armored, err = armorCert(st.Cert, pk.Version)
	if err != nil {
		return nil, err
	}
	rec.Armored = string(ent.armored)
	ent.json, err = marshalRecord(rec)
	if err != nil {
		return nil, err
	}
	ent.index = indexOf(rec)
	return ent, nil
}

// curveBits are the sizes gpg shows for elliptic-curve keys (the key
// packet's MPI length says more for EdDSA and ECDH points).
var curveBits = map[packet.Curve]int{
	packet.Curve25519: 255, packet.Curve448: 448,
	packet.CurveNistP256: 256, packet.CurveNistP384: 384, packet.CurveNistP521: 521,
	packet.CurveSecP256k1:     256,
	packet.CurveBrainpoolP256: 256, packet.CurveBrainpoolP384: 384, packet.CurveBrainpoolP512: 512,
}

// keyBits is the key size as key listings show it, 0 if unknown.
func keyBits(pk *packet.PublicKey) int {
	if curve, err := pk.Curve(); err == nil {
		return curveBits[curve]
	}
	if bits, err := pk.BitLength(); err == nil {
		return int(bits)
	}
	return 0
}

// indexOf lists the index entries of a record (without the /<FPR>).
func indexOf(rec *Record) []string {
	var idx []string
	add := func(k string) {
		if !slices.Contains(idx, k) {
			idx = append(idx, k)
		}
	}
	for _, id := range rec.KeyIDs {
		add(keyIDIndex(id))
	}
	for _, addr := range rec.Emails {
		add(emailIndex(addr))
		local, domain, _ := strings.Cut(addr, "@")
		add(wkdIndex(asciiLower(domain), wkdHash(local)))
	}
	for _, c := range rec.Claims {
		add(handleIndex(c))
	}
	return idx
}

// load reads a stored key.
func (d *Directory) load(ctx context.Context, fpr string) (*stored, error) {
	v, err := d.ds.Get(ctx, datastore.NewKey(keysPrefix+fpr))
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, fail(ErrNotFound, http.StatusNotFound, api.CodeNotFound, "no key %s in the directory", fpr)
	}
	if err != nil {
		return nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "datastore read failed")
	}
	var st stored
	if err := json.Unmarshal(v, &st); err != nil {
		return nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "stored key %s is corrupt", fpr)
	}
	return &st, nil
}

// indexed returns the fingerprints under an index entry.
func (d *Directory) indexed(ctx context.Context, prefix string) ([]string, error) {
	res, err := d.ds.Query(ctx, query.Query{Prefix: prefix, KeysOnly: true})
	if err != nil {
		return nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "datastore query failed")
	}
	defer res.Close()
	var fprs []string
	for {
		r, ok := res.NextSync()
		if !ok {
			break
		}
		if r.Error != nil {
			return nil, fail(r.Error, http.StatusInternalServerError, api.CodeInternal, "datastore query failed")
		}
		k := datastore.RawKey(r.Key)
		if k.Parent().String() != prefix {
			continue
		}
		fprs = append(fprs, k.BaseNamespace())
		if len(fprs) >= 4*MaxResults {
			break
		}
	}
	return fprs, nil
}

// count returns how many keys the directory holds.
func (d *Directory) count(ctx context.Context) (int, error) {
	res, err := d.ds.Query(ctx, query.Query{Prefix: strings.TrimSuffix(keysPrefix, "/"), KeysOnly: true})
	if err != nil {
		return 0, err
	}
	defer res.Close()
	n := 0
	for {
		r, ok := res.NextSync()
		if !ok {
			break
		}
		if r.Error != nil {
			return 0, r.Error
		}
		n++
	}
	return n, nil
}

// store merges the keys of an upload into the directory in one batch. It
// returns the fingerprints that changed and the per-key results.
func (d *Directory) store(ctx context.Context, up *upload) ([]string, []KeyResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	batch, err := d.ds.Batch(ctx)
	if err != nil {
		return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "datastore batch failed")
	}
	now := time.Now().UTC().Truncate(time.Second)
	pending := map[string]*entry{} // what this batch writes, by fingerprint
	var (
		results []KeyResult
		changed []string
		added   int
	)
	for _, k := range up.keys {
		fpr := persona.Fingerprint(k)
		var old *stored
		if p, ok := pending[fpr]; ok {
			old = &stored{Cert: p.cert, Added: p.rec.Added, Updated: p.rec.Updated, Index: p.index}
		} else if st, err := d.load(ctx, fpr); err == nil {
			old = st
		} else if !errors.Is(err, ErrNotFound) {
			return nil, nil, err
		}
		merged := k
		if old != nil {
			oe, err := parseCert(old.Cert)
			if err != nil {
				return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "stored key %s does not parse", fpr)
			}
			if merged, err = mergeKeys(oe, k); err != nil {
				return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "failed to merge key %s", fpr)
			}
		}
		cert, err := serialize(merged)
		if err != nil {
			return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "failed to serialize key %s", fpr)
		}
		if old != nil && bytes.Equal(cert, old.Cert) {
			if !slices.ContainsFunc(results, func(r KeyResult) bool { return r.Fingerprint == fpr }) {
				results = append(results, KeyResult{Fingerprint: fpr, Status: StatusUnchanged})
			}
			continue
		}
		if len(cert) > d.opts.MaxKeySize {
			return nil, nil, fail(ErrTooLarge, http.StatusRequestEntityTooLarge, api.CodeTooLarge, "key %s would be larger than %d bytes", fpr, d.opts.MaxKeySize)
		}
		st := &stored{Cert: cert, Added: now, Updated: now}
		status := StatusNew
		if old != nil {
			st.Added = old.Added
			status = StatusUpdated
		}
		ent, err := newEntry(st)
		if err != nil {
			return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "failed to read back key %s", fpr)
		}
		st.Index = ent.index
		value, err := json.Marshal(st)
		if err != nil {
			return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "failed to encode key %s", fpr)
		}
		if err := batch.Put(ctx, datastore.NewKey(keysPrefix+fpr), value); err != nil {
			return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "datastore write failed")
		}
		var oldIndex []string
		if old != nil {
			oldIndex = old.Index
		}
		for _, ix := range oldIndex {
			if !slices.Contains(st.Index, ix) {
				if err := batch.Delete(ctx, datastore.NewKey(ix+"/"+fpr)); err != nil {
					return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "datastore write failed")
				}
			}
		}
		for _, ix := range st.Index {
			if !slices.Contains(oldIndex, ix) {
				if err := batch.Put(ctx, datastore.NewKey(ix+"/"+fpr), []byte{}); err != nil {
					return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "datastore write failed")
				}
			}
		}
		if _, seen := pending[fpr]; !seen && old == nil {
			added++
		}
		if i := slices.IndexFunc(results, func(r KeyResult) bool { return r.Fingerprint == fpr }); i >= 0 {
			if results[i].Status == StatusUnchanged {
				results[i].Status = StatusUpdated
			}
		} else {
			results = append(results, KeyResult{Fingerprint: fpr, Status: status})
		}
		if !slices.Contains(changed, fpr) {
			changed = append(changed, fpr)
		}
		pending[fpr] = ent
	}
	if len(changed) == 0 {
		return nil, results, nil
	}
	if err := batch.Commit(ctx); err != nil {
		return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "datastore commit failed")
	}
	if err := d.ds.Sync(ctx, datastore.NewKey(rootPrefix)); err != nil {
		return nil, nil, fail(err, http.StatusInternalServerError, api.CodeInternal, "datastore sync failed")
	}
	for fpr, ent := range pending {
		d.cache.put(fpr, ent)
	}
	d.metrics.keys.Add(float64(added))
	return changed, results, nil
}

// mergeKeys joins a stored certificate and a cleaned upload of the same
// key, and cleans the result again.
func mergeKeys(old, upd *openpgp.Entity) (*openpgp.Entity, error) {
	m, err := persona.Merge(old, upd)
	if err != nil {
		return nil, err
	}
	clean, reason := cleanEntity(m)
	if clean == nil {
		return nil, fmt.Errorf("merged key is invalid: %s", reason)
	}
	return clean, nil
}

// cache keeps parsed entries by fingerprint. When full it drops an
// arbitrary entry; lookups of popular keys keep them coming back.
type cache struct {
	mu  sync.RWMutex
	max int
	m   map[string]*entry
}

func newCache(max int) *cache { return &cache{max: max, m: make(map[string]*entry)} }

func (c *cache) get(fpr string) *entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[fpr]
}

func (c *cache) put(fpr string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[fpr]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[fpr] = e
}

// wkdHash is the WKD hash of a local part: z-base-32 of the SHA-1 of its
// ASCII-lower-cased form.
func wkdHash(local string) string {
	sum := sha1.Sum([]byte(asciiLower(local)))
	return zbase32(sum[:])
}
