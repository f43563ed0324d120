package relay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/pgppacket"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// maxSharesPerBlob bounds the shares kept for one post.
const maxSharesPerBlob = 4096

// shareKey is where a share is kept: under its post, named by a hash of
// its bytes, so a share stored twice (by the same client, or by two
// processes of one relay) is one share. The order of a post's shares (their
// index) is by the time they were first stored.
func shareKey(id cid.Cid, data []byte) datastore.Key {
	sum := sha256.Sum256(data)
	return datastore.NewKey("/shares/" + id.String() + "/" + hex.EncodeToString(sum[:16]))
}

// shareRecord is a stored share: its place in the post's list, when it
// came and its key packets.
type shareRecord struct {
	Index int       `json:"index"`
	Time  time.Time `json:"time"`
	Data  []byte    `json:"data"`
	key   string
}

// postShare stores key packets for a blob, if the blob's owner signed them.
func (n *Node) postShare(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := parseCID(c.Param("cid"))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return uploadError(err)
	}
	ids, err := shareRecipients(body)
	if err != nil {
		return err
	}
	owner, err := n.meta.Get(ctx, ownerKey(id))
	if err == datastore.ErrNotFound {
		// The post may have been uploaded to another process just now.
		n.catchUp(ctx)
		owner, err = n.meta.Get(ctx, ownerKey(id))
	}
	if err == datastore.ErrNotFound {
		if has, _ := n.store.Has(ctx, id); !has {
			return api.Errorf(http.StatusNotFound, api.CodeNotFound, "no blob %s here", id)
		}
		return api.Errorf(http.StatusForbidden, api.CodeForbidden, "blob %s was uploaded without a share key: nobody may add shares", id)
	} else if err != nil {
		return err
	}
	if err := relayclient.VerifyShareSignature(string(owner), c.Request().Header.Get("Veil-Share-Signature"), id.String(), body); err != nil {
		return api.Errorf(http.StatusUnauthorized, api.CodeUnauthorized, "share signature: %v", err)
	}
	rec, err := n.storeShare(ctx, id, time.Now(), body, true)
	if err != nil {
		return err
	}
	if err := n.replicate(ctx, entryShare, shareEntry{CID: id.String(), Time: rec.Time.UnixNano()}, body); err != nil {
		return err
	}
	index := rec.Index
	n.metrics.shares.Inc()
	n.publish(ctx, "shares:"+id.String(), map[string]any{"type": "share", "cid": id.String(), "index": index})
	for _, k := range ids {
		n.publish(ctx, relayclient.InboxChannel(k), map[string]any{"type": "share", "cid": id.String(), "index": index})
	}
	return c.JSON(http.StatusCreated, map[string]any{"cid": id.String(), "index": index})
}

// shareRecipients checks that body is nothing but PKESK packets and
// returns the key IDs they name.
func shareRecipients(body []byte) ([]uint64, error) {
	bad := api.Errorf(http.StatusBadRequest, api.CodeNotOpenPGP, "a share is one or more public-key encrypted session key packets")
	if len(body) == 0 {
		return nil, bad
	}
	var ids []uint64
	for b := body; len(b) > 0; {
		tag, rest, ok := pgppacket.Next(b)
		if !ok || tag != pgppacket.TagPKESK {
			return nil, bad
		}
		p, err := packet.Read(bytes.NewReader(b[:len(b)-len(rest)]))
		ek, isKey := p.(*packet.EncryptedKey)
		if err != nil || !isKey {
			return nil, bad
		}
		if ek.KeyId != 0 {
			ids = append(ids, ek.KeyId)
		}
		b = rest
	}
	return ids, nil
}

// storeShare keeps a post's share, first stored at t, and returns it with
// its index. A share that is there already is returned as it is. With
// limit, a post that has maxSharesPerBlob shares takes no more (shares
// applied from other processes were checked there).
func (n *Node) storeShare(ctx context.Context, id cid.Cid, t time.Time, data []byte, limit bool) (shareRecord, error) {
	n.shareMu.Lock()
	defer n.shareMu.Unlock()
	shares, err := n.listShares(ctx, id)
	if err != nil {
		return shareRecord{}, err
	}
	key := shareKey(id, data)
	for _, s := range shares {
		if s.key == key.String() {
			return s, nil
		}
	}
	if limit && len(shares) >= maxSharesPerBlob {
		return shareRecord{}, api.Errorf(http.StatusTooManyRequests, api.CodeQuota, "post %s has %d shares already", id, len(shares))
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.BigEndian, t.UnixNano())
	buf.Write(data)
	if err := n.meta.Put(ctx, key, buf.Bytes()); err != nil {
		return shareRecord{}, err
	}
	rec := shareRecord{Time: time.Unix(0, t.UnixNano()).UTC(), Data: data, key: key.String()}
	shares = append(shares, rec)
	sortShares(shares)
	for i, s := range shares {
		if s.key == rec.key {
			rec.Index = i
		}
	}
	return rec, nil
}

// listShares returns a post's shares in order.
func (n *Node) listShares(ctx context.Context, id cid.Cid) ([]shareRecord, error) {
	res, err := n.meta.Query(ctx, query.Query{Prefix: "/shares/" + id.String()})
	if err != nil {
		return nil, err
	}
	defer res.Close()
	out := []shareRecord{}
	for r := range res.Next() {
		if r.Error != nil {
			return nil, r.Error
		}
		if len(r.Value) < 8 {
			continue
		}
		ts := int64(binary.BigEndian.Uint64(r.Value[:8]))
		out = append(out, shareRecord{Time: time.Unix(0, ts).UTC(), Data: r.Value[8:], key: r.Key})
	}
	sortShares(out)
	return out, nil
}

// sortShares orders shares by time, then key, and numbers them.
func sortShares(s []shareRecord) {
	slices.SortFunc(s, func(a, b shareRecord) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	for i := range s {
		s[i].Index = i
	}
}

func (n *Node) getShares(c echo.Context) error {
	id, err := parseCID(c.Param("cid"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	n.catchUp(ctx) // a share may have been added on another process just now
	out, err := n.listShares(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"cid": id.String(), "shares": out})
}
