package federation

import (
	"slices"
	"sync"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// meshTracer follows the gossipsub mesh of each topic: the peers the node
// forwards messages to at once. It is a pubsub RawTracer; pubsub calls it
// from its event loop, so it only records.
type meshTracer struct {
	mu   sync.Mutex
	mesh map[string]map[peer.ID]bool
}

var _ pubsub.RawTracer = (*meshTracer)(nil)

func newMeshTracer() *meshTracer { return &meshTracer{mesh: map[string]map[peer.ID]bool{}} }

// peers returns the mesh peers of topic, sorted.
func (m *meshTracer) peers(topic string) []peer.ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []peer.ID
	for p := range m.mesh[topic] {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func (m *meshTracer) Graft(p peer.ID, topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mesh[topic] == nil {
		m.mesh[topic] = map[peer.ID]bool{}
	}
	m.mesh[topic][p] = true
}

func (m *meshTracer) Prune(p peer.ID, topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mesh[topic], p)
}

func (m *meshTracer) RemovePeer(p peer.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ps := range m.mesh {
		delete(ps, p)
	}
}

func (m *meshTracer) Leave(topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mesh, topic)
}

func (*meshTracer) AddPeer(peer.ID, protocol.ID)          {}
func (*meshTracer) Join(string)                           {}
func (*meshTracer) ValidateMessage(*pubsub.Message)       {}
func (*meshTracer) DeliverMessage(*pubsub.Message)        {}
func (*meshTracer) RejectMessage(*pubsub.Message, string) {}
func (*meshTracer) DuplicateMessage(*pubsub.Message)      {}
func (*meshTracer) ThrottlePeer(peer.ID)                  {}
func (*meshTracer) RecvRPC(*pubsub.RPC)                   {}
func (*meshTracer) SendRPC(*pubsub.RPC, peer.ID)          {}
func (*meshTracer) DropRPC(*pubsub.RPC, peer.ID)          {}
func (*meshTracer) UndeliverableMessage(*pubsub.Message)  {}
