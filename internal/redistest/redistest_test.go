package redistest

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestServerLifecycle(t *testing.T) {
	ctx := context.Background()
	s := Start(t)
	if s.Port() == 0 || s.Addr() != "127.0.0.1:"+strconv.Itoa(s.Port()) || s.URL() != "redis://"+s.Addr()+"/0" {
		t.Fatalf("addr %q url %q", s.Addr(), s.URL())
	}
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}

	s.Kill()
	if _, err := ping(s.Addr()); err == nil {
		t.Fatal("PING answered after Kill")
	}
	s.Kill() // idempotent
	s.Restart()
	if v, err := get(ctx, c, "k"); err != nil || v != "v1" {
		t.Fatalf("after kill and restart (AOF replayed): %q %v", v, err)
	}

	if err := c.Set(ctx, "k", "v2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Restart() // graceful stop, then start
	if v, err := get(ctx, c, "k"); err != nil || v != "v2" {
		t.Fatalf("after restart: %q %v", v, err)
	}

	s.Stop()
	fresh := Start(t, WithPort(s.Port()))
	if fresh.Addr() != s.Addr() || fresh.Dir() == s.Dir() {
		t.Fatalf("fresh server at %s in %s", fresh.Addr(), fresh.Dir())
	}
	if _, err := get(ctx, c, "k"); !errors.Is(err, redis.Nil) {
		t.Fatalf("a fresh server has the old data: %v", err)
	}
}

func TestWithArgs(t *testing.T) {
	s := Start(t, WithArgs("--maxmemory", "12345678"))
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	got, err := c.ConfigGet(context.Background(), "maxmemory").Result()
	if err != nil || got["maxmemory"] != "12345678" {
		t.Fatalf("maxmemory %v %v", got, err)
	}
}

// A port already taken: the server exits and Start reports why.
func TestStartError(t *testing.T) {
	s := Start(t)
	bad := &Server{tb: t, bin: s.bin, port: s.Port(), dir: t.TempDir()}
	start := time.Now()
	err := bad.start()
	if err == nil {
		bad.Kill()
		t.Fatal("a second server started on a taken port")
	}
	if time.Since(start) > StartTimeout {
		t.Errorf("took %v to fail", time.Since(start))
	}
	t.Logf("start on a taken port: %v", err)
}

// get reads key, retrying while the restarted server is still loading.
func get(ctx context.Context, c *redis.Client, key string) (string, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := c.Get(ctx, key).Result()
		if err == nil || errors.Is(err, redis.Nil) || time.Now().After(deadline) {
			return v, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
