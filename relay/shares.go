package relay

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
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

func shareKey(id cid.Cid, index int) datastore.Key {
	return datastore.NewKey(fmt.Sprintf("/shares/%s/%08d", id, index))
}

// shareRecord is a stored share: when it came and its key packets.
type shareRecord struct {
	Index int       `json:"index"`
	Time  time.Time `json:"time"`
	Data  []byte    `json:"data"`
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
	index, err := n.appendShare(ctx, id, body)
	if err != nil {
		return err
	}
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

// appendShare stores a share under the next index.
func (n *Node) appendShare(ctx context.Context, id cid.Cid, data []byte) (int, error) {
	n.shareMu.Lock()
	defer n.shareMu.Unlock()
	res, err := n.meta.Query(ctx, query.Query{Prefix: "/shares/" + id.String(), KeysOnly: true})
	if err != nil {
		return 0, err
	}
	count := 0
	for r := range res.Next() {
		if r.Error != nil {
			res.Close()
			return 0, r.Error
		}
		count++
	}
	res.Close()
	if count >= maxSharesPerBlob {
		return 0, api.Errorf(http.StatusTooManyRequests, api.CodeQuota, "post %s has %d shares already", id, count)
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.BigEndian, time.Now().UnixNano())
	buf.Write(data)
	if err := n.meta.Put(ctx, shareKey(id, count), buf.Bytes()); err != nil {
		return 0, err
	}
	return count, nil
}

func (n *Node) getShares(c echo.Context) error {
	id, err := parseCID(c.Param("cid"))
	if err != nil {
		return err
	}
	res, err := n.meta.Query(c.Request().Context(), query.Query{Prefix: "/shares/" + id.String(), Orders: []query.Order{query.OrderByKey{}}})
	if err != nil {
		return err
	}
	defer res.Close()
	out := []shareRecord{}
	for r := range res.Next() {
		if r.Error != nil {
			return r.Error
		}
		if len(r.Value) < 8 {
			continue
		}
		var idx int
		fmt.Sscanf(datastore.NewKey(r.Key).Name(), "%d", &idx)
		ts := int64(binary.BigEndian.Uint64(r.Value[:8]))
		out = append(out, shareRecord{Index: idx, Time: time.Unix(0, ts).UTC(), Data: r.Value[8:]})
	}
	return c.JSON(http.StatusOK, map[string]any{"cid": id.String(), "shares": out})
}
