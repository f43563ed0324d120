package payload

import (
	"net/netip"
	"strconv"
	"strings"
)

// origin returns the base URL of a relay from its parts, in normal form: a
// default port is left out, and plain HTTP is kept only for a loopback host
// (anything else is upgraded to HTTPS). host and port must be lower case and
// valid, as splitHostPort returns them.
func origin(scheme, host, port string) string {
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		port = ""
	}
	if scheme != "http" || !isLoopback(host) {
		scheme = "https"
	}
	if port != "" {
		return scheme + "://" + host + ":" + port
	}
	return scheme + "://" + host
}

// splitHostPort splits a lower-case host[:port] and checks both parts. The host
// must be a DNS name with at least two labels, "localhost", a dotted IPv4
// address or a bracketed IPv6 address; the port a decimal number in 1..65535.
// The port comes back in normal form, without leading zeros.
func splitHostPort(hp string) (host, port string, ok bool) {
	host = hp
	if strings.HasPrefix(hp, "[") {
		i := strings.IndexByte(hp, ']')
		if i < 0 {
			return "", "", false
		}
		a, err := netip.ParseAddr(hp[1:i])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", "", false
		}
		host = hp[:i+1]
		rest := hp[i+1:]
		if rest == "" {
			return host, "", true
		}
		if rest[0] != ':' {
			return "", "", false
		}
		port, ok = checkPort(rest[1:])
		return host, port, ok
	}
	if i := strings.IndexByte(hp, ':'); i >= 0 {
		host = hp[:i]
		if port, ok = checkPort(hp[i+1:]); !ok {
			return "", "", false
		}
	}
	if !isHostName(host) {
		return "", "", false
	}
	return host, port, true
}

func checkPort(p string) (string, bool) {
	if p == "" || len(p) > 5 {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return "", false
		}
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", false
	}
	return strconv.Itoa(n), true
}

// isHostName reports whether h is a lower-case DNS name of two labels or more,
// "localhost", or a dotted IPv4 address.
func isHostName(h string) bool {
	if h == "localhost" {
		return true
	}
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Is4()
	}
	labels := 0
	allDigits := true
	for label := range strings.SplitSeq(h, ".") {
		labels++
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		allDigits = true
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c == '-':
				allDigits = false
			default:
				return false
			}
		}
	}
	// A name whose last label is all digits would be read as an IPv4 address.
	return labels >= 2 && !allDigits
}

// isLoopback reports whether a host, as splitHostPort returns it, is on the
// local machine.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && a.IsLoopback()
}
