package fetch

import (
	"errors"
	"net/netip"
	"testing"
)

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		addr      string
		allow     []string
		forbidden bool
	}{
		// Globally reachable.
		{addr: "8.8.8.8"},
		{addr: "1.1.1.1"},
		{addr: "93.184.215.14"},
		{addr: "172.15.255.255"},
		{addr: "172.32.0.0"},
		{addr: "100.63.255.255"},
		{addr: "100.128.0.0"},
		{addr: "169.253.255.255"},
		{addr: "223.255.255.255"},
		{addr: "2606:4700:4700::1111"},
		{addr: "2a00:1450:4001:82f::200e"},
		{addr: "::ffff:8.8.8.8"},
		{addr: "64:ff9b::808:808"}, // NAT64 of 8.8.8.8
		{addr: "2002:808:808::1"},  // 6to4 of 8.8.8.8
		{addr: "fbff:ffff::1"},     // just below fc00::/7
		{addr: "fe00::1"},          // just below fe80::/10

		// Loopback, private, link-local, CGNAT and the rest.
		{addr: "127.0.0.1", forbidden: true},
		{addr: "127.255.255.254", forbidden: true},
		{addr: "10.0.0.1", forbidden: true},
		{addr: "10.255.255.255", forbidden: true},
		{addr: "172.16.0.0", forbidden: true},
		{addr: "172.31.255.255", forbidden: true},
		{addr: "192.168.1.1", forbidden: true},
		{addr: "169.254.169.254", forbidden: true},
		{addr: "100.64.0.0", forbidden: true},
		{addr: "100.127.255.255", forbidden: true},
		{addr: "0.0.0.0", forbidden: true},
		{addr: "0.1.2.3", forbidden: true},
		{addr: "255.255.255.255", forbidden: true},
		{addr: "224.0.0.1", forbidden: true},
		{addr: "239.255.255.250", forbidden: true},
		{addr: "240.0.0.1", forbidden: true},
		{addr: "192.0.0.170", forbidden: true},
		{addr: "192.0.2.2", forbidden: true},
		{addr: "198.18.0.1", forbidden: true},
		{addr: "198.51.100.7", forbidden: true},
		{addr: "203.0.113.9", forbidden: true},
		{addr: "::1", forbidden: true},
		{addr: "::", forbidden: true},
		{addr: "::127.0.0.1", forbidden: true},
		{addr: "fc00::1", forbidden: true},
		{addr: "fd00::2", forbidden: true},
		{addr: "fe80::1", forbidden: true},
		{addr: "fe80::1%eth0", forbidden: true},
		{addr: "febf:ffff::1", forbidden: true},
		{addr: "fec0::1", forbidden: true},
		{addr: "ff02::1", forbidden: true},
		{addr: "2001:db8::1", forbidden: true},
		{addr: "3fff::1", forbidden: true},
		{addr: "100::1", forbidden: true},
		{addr: "64:ff9b:1::a00:1", forbidden: true},

		// IPv4 addresses in IPv6 clothing.
		{addr: "::ffff:127.0.0.1", forbidden: true},
		{addr: "::ffff:10.0.0.1", forbidden: true},
		{addr: "::ffff:169.254.169.254", forbidden: true},
		{addr: "64:ff9b::a9fe:a9fe", forbidden: true}, // NAT64 of 169.254.169.254
		{addr: "2002:7f00:1::", forbidden: true},      // 6to4 of 127.0.0.1
		{addr: "2002:a00:1::1", forbidden: true},      // 6to4 of 10.0.0.1

		// Allow.
		{addr: "127.0.0.1", allow: []string{"127.0.0.1/32"}},
		{addr: "::ffff:127.0.0.1", allow: []string{"127.0.0.1/32"}},
		{addr: "127.0.0.2", allow: []string{"127.0.0.1/32"}, forbidden: true},
		{addr: "::1", allow: []string{"127.0.0.1/32"}, forbidden: true},
		{addr: "10.1.2.3", allow: []string{"192.168.0.0/16", "10.0.0.0/8"}},
		{addr: "10.1.2.3", allow: []string{"10.1.2.4/32"}, forbidden: true},
		{addr: "fd00::2", allow: []string{"fd00::/64"}},
		{addr: "fe80::1%eth0", allow: []string{"fe80::/10"}},
		{addr: "8.8.8.8", allow: []string{"10.0.0.0/8"}},
	}
	for _, tt := range tests {
		p := policy{}
		for _, s := range tt.allow {
			p.allow = append(p.allow, netip.MustParsePrefix(s))
		}
		err := p.check(netip.MustParseAddr(tt.addr))
		if got := errors.Is(err, ErrForbidden); got != tt.forbidden || (err != nil && !got) {
			t.Errorf("check(%s) with allow %v = %v, want forbidden %v", tt.addr, tt.allow, err, tt.forbidden)
		}
	}
}

func TestPolicyControl(t *testing.T) {
	allowLoopback := policy{allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	tests := []struct {
		network, address string
		forbidden        bool
	}{
		{"tcp4", "127.0.0.1:8080", false},
		{"tcp", "127.0.0.1:80", false},
		{"tcp6", "[::1]:8080", true},
		{"tcp4", "10.0.0.1:80", true},
		{"tcp6", "[fe80::1%eth0]:80", true},
		{"tcp4", "8.8.8.8:443", false},
		{"udp4", "8.8.8.8:53", true},
		{"tcp", "localhost:80", true}, // never resolved: must be an address
		{"tcp", "", true},
	}
	for _, tt := range tests {
		err := allowLoopback.control(tt.network, tt.address, nil)
		if got := errors.Is(err, ErrForbidden); got != tt.forbidden || (err != nil && !got) {
			t.Errorf("control(%q, %q) = %v, want forbidden %v", tt.network, tt.address, err, tt.forbidden)
		}
	}
}

func TestReservedNamesReason(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1", "loopback"},
		{"::ffff:10.1.1.1", "private"},
		{"100.64.1.1", "shared (CGNAT)"},
		{"0.0.0.0", "unspecified"},
		{"64:ff9b::a00:1", "private (NAT64 of 10.0.0.1)"},
		{"255.255.255.255", "broadcast"},
		{"2002:a9fe:a9fe::", "link-local (6to4 of 169.254.169.254)"},
	}
	for _, tt := range tests {
		got, ok := reserved(netip.MustParseAddr(tt.addr))
		if !ok || got != tt.want {
			t.Errorf("reserved(%s) = %q, %v; want %q, true", tt.addr, got, ok, tt.want)
		}
	}
}
