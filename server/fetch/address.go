package fetch

import (
	"fmt"
	"net/netip"
	"syscall"
)

// addressRange is a block of addresses a fetch may not connect to, with the
// reason given in the error.
type addressRange struct {
	prefix netip.Prefix
	what   string
}

// forbidden lists the addresses that are not globally reachable: the
// special-purpose blocks of RFC 6890 and its successors, plus multicast.
// The first block that matches names the reason, so narrow blocks come
// before the wide ones that hold them.
var forbidden = []addressRange{
	{netip.MustParsePrefix("0.0.0.0/32"), "unspecified"},
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved for protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},

	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// IPv6 blocks whose addresses carry an IPv4 address that a translator or
// relay may forward to: NAT64 (RFC 6052) in the last 32 bits, 6to4
// (RFC 3056) in bits 16 to 48.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// policy decides which addresses a Fetcher may connect to.
type policy struct {
	allow []netip.Prefix
}

// permits reports whether a is in one of the allowed prefixes, in its own
// form or with an IPv4-mapped IPv6 address unmapped.
func (p policy) permits(a netip.Addr) bool {
	for _, prefix := range p.allow {
		if prefix.Contains(a) || prefix.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// check returns an error wrapping ErrForbidden when a may not be connected
// to: when it is not globally reachable and not in the allowed prefixes.
func (p policy) check(a netip.Addr) error {
	a = a.WithZone("")
	if p.permits(a) {
		return nil
	}
	if what, ok := reserved(a); ok {
		return fmt.Errorf("%w: %s is %s", ErrForbidden, a, what)
	}
	return nil
}

// reserved reports whether a is not globally reachable, and why. An
// IPv4-mapped address is judged as the IPv4 address it maps, and so are the
// IPv4 addresses inside NAT64 and 6to4 addresses.
func reserved(a netip.Addr) (what string, ok bool) {
	if !a.IsValid() {
		return "invalid", true
	}
	a = a.Unmap()
	for _, r := range forbidden {
		if r.prefix.Contains(a) {
			return r.what, true
		}
	}
	b := a.As16()
	var inner netip.Addr
	var via string
	switch {
	case nat64.Contains(a):
		inner, via = netip.AddrFrom4([4]byte(b[12:16])), "NAT64"
	case sixToFour.Contains(a):
		inner, via = netip.AddrFrom4([4]byte(b[2:6])), "6to4"
	default:
		return "", false
	}
	if what, ok := reserved(inner); ok {
		return fmt.Sprintf("%s (%s of %s)", what, via, inner), true
	}
	return "", false
}

// control is a net.Dialer Control function. It runs after DNS resolution
// and before the connection is attempted, on every address the dialer
// tries, including those reached by redirects, so no packet goes to an
// address the policy refuses.
func (p policy) control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %s", ErrForbidden, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: dialled address %q: %v", ErrForbidden, address, err)
	}
	return p.check(ap.Addr())
}
