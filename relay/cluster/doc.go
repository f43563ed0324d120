// Package cluster makes the processes of one relay that share a Redis one
// service: every write a process acknowledges (a blob with its pin and share
// key, a share, a directory record) is appended to one Redis stream, the
// cluster log, and every process applies the entries of the others to its
// own store. So each process holds a full copy and answers any request, and
// a process killed with SIGKILL loses nothing another process cannot serve.
//
// The package knows nothing of what entries mean: an entry is a kind, a
// small metadata document and a byte payload, and the relay passes an
// Apply function that does the work (see relay/cluster.go).
//
// Durability. Append returns once the entry is in Redis or, while Redis is
// away, in a local outbox on the process's own durable datastore; the
// outbox is flushed to the stream, in order, when Redis answers again. A
// process remembers the stream position it has applied in the same
// datastore, and applying is idempotent (content-addressed blobs, merged
// keys, content-keyed shares), so replaying a few entries after a crash is
// harmless.
//
// Reading what another process just wrote. Applying runs in the background
// a few hundred microseconds behind the stream; CatchUp waits until
// everything in the stream when it was called has been applied, and the
// relay calls it before answering "not found" (and before listing shares),
// so a client that writes on one process and reads on another sees its
// write.
//
// Retention. The stream is trimmed to about Config.MaxLen entries. A process
// that was away while more than that were written cannot replay them all:
// Gap reports it, and the process is then seeded from a sibling's data
// (docs/OPERATING.md).
package cluster
