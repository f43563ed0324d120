package storage

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// Key prefixes in the leveldb. /blocks is boxo's blockstore.BlockPrefix, so
// that boxo's blockstore reads what the committer writes.
const (
	prefixBlocks = "/blocks/"
	prefixBlobs  = "/blobs/"
	prefixPins   = "/pins/"
	prefixOwners = "/owners/"
	prefixMeta   = "/meta"
	keyStats     = "/stats"
)

// blockKey is the leveldb key of the block with multihash h.
func blockKey(h multihash.Multihash) string {
	return "/blocks" + dshelp.MultihashToDsKey(h).String()
}

func blobKey(c cid.Cid) string { return prefixBlobs + c.String() }

func pinPrefix(c cid.Cid) string { return prefixPins + c.String() + "/" }

func pinKey(c cid.Cid, owner string) string { return pinPrefix(c) + encodeOwner(owner) }

func ownerKey(owner string) string { return prefixOwners + encodeOwner(owner) }

func encodeOwner(owner string) string { return base64.RawURLEncoding.EncodeToString([]byte(owner)) }

func decodeOwner(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}

// cidFromBlobKey parses the CID out of a /blobs/ key.
func cidFromBlobKey(key []byte) (cid.Cid, error) {
	s, ok := strings.CutPrefix(string(key), prefixBlobs)
	if !ok {
		return cid.Undef, errors.New("not a blob key")
	}
	return cid.Decode(s)
}

// blobRecord is the value under /blobs/<cid>: the blob's size in bytes (of
// its content, not of its blocks) and how many owners pin it.
type blobRecord struct {
	size int64
	refs int64
}

func (r blobRecord) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(r.size))
	return binary.AppendUvarint(b, uint64(r.refs))
}

func decodeBlobRecord(b []byte) (blobRecord, error) {
	v, err := decodeUvarints(b, 2)
	if err != nil {
		return blobRecord{}, err
	}
	return blobRecord{size: int64(v[0]), refs: int64(v[1])}, nil
}

// Stats counts what the store holds.
type Stats struct {
	Blobs  int64 // distinct pinned blobs
	Blocks int64 // blocks stored, pinned or not
	Bytes  int64 // bytes of those blocks
}

func (st Stats) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(st.Blobs))
	b = binary.AppendUvarint(b, uint64(st.Blocks))
	return binary.AppendUvarint(b, uint64(st.Bytes))
}

func decodeStats(b []byte) (Stats, error) {
	v, err := decodeUvarints(b, 3)
	if err != nil {
		return Stats{}, err
	}
	return Stats{Blobs: int64(v[0]), Blocks: int64(v[1]), Bytes: int64(v[2])}, nil
}

func encodeInt(n int64) []byte { return binary.AppendUvarint(nil, uint64(n)) }

func decodeInt(b []byte) (int64, error) {
	v, err := decodeUvarints(b, 1)
	if err != nil {
		return 0, err
	}
	return int64(v[0]), nil
}

func decodeUvarints(b []byte, n int) ([]uint64, error) {
	out := make([]uint64, n)
	for i := range out {
		v, k := binary.Uvarint(b)
		if k <= 0 || v > 1<<62 {
			return nil, errors.New("malformed record")
		}
		out[i] = v
		b = b[k:]
	}
	if len(b) != 0 {
		return nil, errors.New("malformed record: trailing bytes")
	}
	return out, nil
}

// normalize returns c as CIDv1: Put names blobs with CIDv1 only, and a
// CIDv0 names the same dag-pb block.
func normalize(c cid.Cid) cid.Cid {
	if c.Version() == 0 {
		return cid.NewCidV1(cid.DagProtobuf, c.Hash())
	}
	return c
}
