package web

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientAddress(t *testing.T) {
	tests := []struct {
		name       string
		trusted    []string
		peer       string
		xff, xreal string
		want       string
	}{
		{"no proxies: X-Forwarded-For is ignored", nil, "198.51.100.9:5000", "203.0.113.7", "", "198.51.100.9"},
		{"no proxies: X-Real-IP is ignored", nil, "198.51.100.9:5000", "", "203.0.113.7", "198.51.100.9"},
		{"no proxies: loopback peer is not a proxy", nil, "127.0.0.1:5000", "203.0.113.7", "", "127.0.0.1"},
		{"trusted proxy names the client", []string{"10.0.0.0/8"}, "10.1.2.3:5000", "203.0.113.7", "", "203.0.113.7"},
		{"what the client put before the proxy's entry is ignored", []string{"10.0.0.0/8"}, "10.1.2.3:5000", "6.6.6.6, 203.0.113.7", "", "203.0.113.7"},
		{"a chain of trusted proxies is walked", []string{"10.0.0.0/8"}, "10.0.0.1:5000", "203.0.113.7, 10.0.0.2", "", "203.0.113.7"},
		{"a peer outside the ranges is the client", []string{"10.0.0.0/8"}, "198.51.100.9:5000", "203.0.113.7", "", "198.51.100.9"},
		{"loopback is trusted only when listed", []string{"10.0.0.0/8"}, "127.0.0.1:5000", "203.0.113.7", "", "127.0.0.1"},
		{"private addresses are trusted only when listed", []string{"10.0.0.0/8"}, "192.168.1.1:5000", "203.0.113.7", "", "192.168.1.1"},
		{"listed loopback is trusted", []string{"127.0.0.1/32"}, "127.0.0.1:5000", "203.0.113.7", "", "203.0.113.7"},
		{"X-Real-IP is not read even from a proxy", []string{"10.0.0.0/8"}, "10.1.2.3:5000", "", "203.0.113.7", "10.1.2.3"},
		{"IPv6", []string{"fd00::/8"}, "[fd00::1]:443", "2001:db8::7", "", "2001:db8::7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.peer
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			if tt.xreal != "" {
				req.Header.Set("X-Real-IP", tt.xreal)
			}
			if got := clientAddress(cidrs(t, tt.trusted...))(req); got != tt.want {
				t.Fatalf("client address = %q, want %q", got, tt.want)
			}
		})
	}
}

// GO-2026-6872: with Echo's default, each guess could carry a new
// X-Forwarded-For and never reach the per-address limit.
func TestSignIn_spoofedForwardedForIsCountedAgainstThePeer(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	for i := range maxFailuresPerIP {
		c.header = map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i), "X-Real-IP": fmt.Sprintf("192.0.2.%d", i)}
		// A new account each time, so only the per-address limit can apply.
		if res := c.signIn(fmt.Sprintf("guess%d@test.edu", i), "wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.StatusCode)
		}
	}
	c.header = map[string]string{"X-Forwarded-For": "198.51.100.200"}
	if res := c.signIn(asTeacher, testPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d failures from one peer under different X-Forwarded-For: %d, want 429", maxFailuresPerIP, res.StatusCode)
	}
}

func TestSignIn_behindTrustedProxyThrottlesEachForwardedClient(t *testing.T) {
	f := newFixture(t)
	// The test's connections come from loopback: that is the proxy.
	behindProxy(f, "127.0.0.0/8")
	a := f.client()
	for i := range maxFailuresPerIP {
		// What client A writes itself comes first; the proxy appends the address it saw.
		a.header = map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d, 203.0.113.10", i)}
		if res := a.signIn(fmt.Sprintf("guess%d@test.edu", i), "wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.StatusCode)
		}
	}
	if res := a.signIn(asTeacher, testPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("client A after %d failures: %d, want 429", maxFailuresPerIP, res.StatusCode)
	}
	b := f.client()
	b.header = map[string]string{"X-Forwarded-For": "203.0.113.20"}
	if res := b.signIn(asTeacher, testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("client B through the same proxy: %d, want 303", res.StatusCode)
	}
}

// behindProxy serves f's database again with TrustedProxies set, as
// `serve --trusted-proxies` does; f's clients then talk to that server.
func behindProxy(f *fixture, ranges ...string) {
	f.restart(Config{TrustedProxies: cidrs(f.t, ranges...)})
}

func cidrs(t testing.TB, s ...string) []*net.IPNet {
	t.Helper()
	var rs []*net.IPNet
	for _, c := range s {
		_, r, err := net.ParseCIDR(c)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}
