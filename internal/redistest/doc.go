// Package redistest runs a real redis-server for a test: on 127.0.0.1, on a
// free port, with its data in the test's temporary directory, stopped when
// the test ends.
//
//	srv := redistest.Start(t)
//	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
//
// The server persists every write before it answers (append-only file,
// fsync always), so Kill and then Restart bring the same data back, as a
// production Redis with AOF would after a crash; Start with WithPort on the
// port of a stopped server is a Redis that lost everything. Outage tests
// use those to watch clients fail and recover by themselves.
//
// Tests fail (they do not skip) when redis-server is not installed:
// `make setup` installs it.
package redistest
