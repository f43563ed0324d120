package cluster

import (
	"fmt"
	"strconv"
	"strings"
)

// streamID is a Redis stream entry ID: milliseconds and a sequence number.
// The zero value is "0-0", before every entry.
type streamID struct{ ms, seq uint64 }

func parseStreamID(s string) (streamID, error) {
	a, b, ok := strings.Cut(s, "-")
	ms, err1 := strconv.ParseUint(a, 10, 64)
	var seq uint64
	var err2 error
	if ok {
		seq, err2 = strconv.ParseUint(b, 10, 64)
	}
	if err1 != nil || err2 != nil {
		return streamID{}, fmt.Errorf("cluster: bad stream ID %q", s)
	}
	return streamID{ms, seq}, nil
}

func (id streamID) String() string { return fmt.Sprintf("%d-%d", id.ms, id.seq) }

func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || (id.ms == o.ms && id.seq < o.seq)
}
