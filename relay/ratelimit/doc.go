// Package ratelimit decides, per key (a client's IP address, a persona's
// key ID), whether a request may go ahead now or how long it must wait.
//
// A [Limiter] allows rate events per second per key, burst of them at once:
// a token bucket, or its equivalent the generic cell rate algorithm (GCRA).
// Take spends one event and returns 0, or spends nothing and returns how
// long until the next one is allowed (a Retry-After).
//
// [Memory] keeps its buckets in the process: the limit of a single relay.
// [Redis] keeps them in Redis, one key per limited key, decided by one Lua
// script on Redis's clock, so the relay processes of one site share each
// limit. When Redis cannot be reached it falls back to a [Memory] limiter in
// each process: requests are still limited, per process instead of per site,
// until Redis answers again; it says so in its log, in Healthy and in its
// metrics (veil_ratelimit_redis_up{prefix}, veil_ratelimit_fallback_total{prefix}).
package ratelimit
