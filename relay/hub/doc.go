// Package hub pushes a relay's notifications to clients over WebSockets
// (the /v1/ws endpoint): a new post whose key packets name a client's key
// ID, new shares for a post, directory updates.
//
// A [Broker] carries events between publishers and hubs and keeps a bounded
// history of each channel, so a client that reconnects resumes where it
// left off. [MemoryBroker] is the in-process broker of a single relay; a
// shared broker (Redis) lets several relay processes serve one site. A
// [Hub] is an http.Handler: it upgrades connections and delivers the
// broker's events to the connections subscribed to their channel.
//
// # Channels
//
//	inbox:<key id>   16 upper-case hex digits: new posts with a key packet for that key
//	shares:<cid>     a post's CIDv1 (canonical string): new key packets for the post
//	directory        keys published or revoked
//
// Each channel is a stream of events. An event's offset counts the channel's
// events from 1 without gaps under an epoch; the epoch changes whenever the
// channel's history is lost (a memory broker restarts, or drops the
// channel), and then offsets start again. A client keeps, per channel, the
// epoch and offset of the last event it has seen.
//
// # Protocol
//
// Every frame is a JSON text frame holding one object. The client sends
// requests, each with an id (a positive integer) that the reply echoes:
//
//	{"id":1,"op":"subscribe","channel":"inbox:0123456789ABCDEF"}
//	{"id":1,"op":"subscribe","channel":"inbox:0123456789ABCDEF","since":{"epoch":"9f1c0a7e3b2d4c65","offset":41}}
//	{"id":2,"op":"unsubscribe","channel":"inbox:0123456789ABCDEF"}
//	{"id":3,"op":"ping"}
//
// Unknown ops and unknown fields are refused. The server answers each
// request, in order, with a reply:
//
//	{"id":1,"ok":true,"position":{"epoch":"9f1c0a7e3b2d4c65","offset":45},"recovered":true}
//	{"id":1,"ok":true,"position":{"epoch":"51aa09e2c4f07b13","offset":3},"recovered":false,"reason":"history_gone"}
//	{"id":2,"ok":true}
//	{"id":1,"error":{"code":"bad_channel","message":"…"}}
//
// and sends the events of the channels subscribed to:
//
//	{"channel":"inbox:0123456789ABCDEF","offset":46,"epoch":"9f1c0a7e3b2d4c65","time":"2026-05-01T12:00:00.123456789Z","data":{…}}
//
// A subscribe reply's position is where the channel's stream stands: the
// events that follow it on the connection are exactly those after that
// position, in order. Without since, only events published after the
// subscription follow (recovered is false; fetch the current state over
// HTTP first). With since, the missed events come first, between the reply
// and the live events, each once and in order, and recovered is true — or,
// when they cannot all be given (the epoch differs, the history no longer
// reaches back to since, or more than Config.RecoverLimit were missed), none
// of them is sent, recovered is false with reason history_gone, and the
// client must refetch its state; the subscription is live all the same.
// An event whose epoch differs from the one the client holds starts a new
// stream: its offsets begin again.
//
// Error codes: bad_request (not JSON, binary frame, unknown op or field, no
// id), bad_channel, too_many (subscription cap), already_subscribed,
// not_subscribed, unavailable (the broker failed: retry). After
// Config.MaxErrors error replies the connection is closed with 1008
// (policy violation).
//
// # Connections
//
// The server pings every Config.PingInterval and drops a connection that
// sends nothing (not even a pong) for Config.PongWait; browsers, which
// cannot send ping frames, may send the ping op. A frame over
// Config.ReadLimit closes the connection with 1009. Each connection has a
// bounded outbound queue (Config.QueueSize frames): a client that does not
// keep up is cut off at once, without a close frame, and never slows the
// publisher or the other connections; it reconnects and resumes with since.
// Shutdown closes connections with 1001 (going away).
//
// Before the upgrade, refusals are the relay's JSON error document
// ({"error":{"code":…,"message":…}}): 400 bad_request (not a WebSocket
// handshake), 403 forbidden (Origin not in Config.AllowedOrigins), 503
// too_many (Config.MaxConnections reached, with Retry-After) and 503
// unavailable (shutting down).
//
// # Cost
//
// Live events are encoded and framed once per event, whatever the number of
// recipients; a writer that finds several frames queued sends them in one
// system call. An idle connection holds about 5 KiB of heap and two
// goroutines (4 KiB of stack each once the runtime has shrunk them).
// BenchmarkFanout measures delivery to 1,000 loopback connections read by
// clients in the same process (deliveries/s, publish→deliver p50/p99, CPU
// per delivery); TestIdleConnMemory and BenchmarkIdleConnMemory measure the
// server's memory per idle connection, with the clients in a child process:
//
//	go test -run '^$' -bench . ./relay/hub
//
// # Metrics
//
// veil_ws_connections, veil_ws_subscriptions, veil_ws_messages_sent_total
// {kind}, veil_ws_messages_received_total, veil_ws_slow_consumers_total,
// veil_ws_connections_rejected_total{reason}, veil_ws_errors_total{code},
// veil_ws_recoveries_total{result}, veil_ws_delivery_lag_seconds.
package hub
