package main

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"
)

// Datagrams sent to two listeners' addresses reach each its own listener,
// and each writes from its own address: what LiveKit's single port needs to
// tell them apart.
func TestAddrReaderKeepsListenersApartByAddress(t *testing.T) {
	r, err := newAddrReader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	a, b := openAddrForTest(t, r), openAddrForTest(t, r)
	if a.addr == b.addr || a.localAddr().(*net.UDPAddr).Port != b.localAddr().(*net.UDPAddr).Port {
		t.Fatalf("listeners at %v and %v: want two addresses on one port", a.localAddr(), b.localAddr())
	}
	if !a.addr.IsLoopback() || a.addr.As4()[1] != listenerBlock[1] {
		t.Fatalf("address %v is outside 127.99.0.0/16", a.addr)
	}

	server, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	_ = server.SetDeadline(time.Now().Add(10 * time.Second))
	stun := func(tag byte) []byte { return []byte{0x00, 0x01, 0x00, 0x00, tag} }
	for _, s := range []*addrSocket{a, b} {
		if _, err := server.WriteToUDP(stun(s.addr.As4()[3]), s.localAddr().(*net.UDPAddr)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 1500)
	for _, s := range []*addrSocket{a, b} {
		n, from, err := readWithin(s, buf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], stun(s.addr.As4()[3])) || from != server.LocalAddr().(*net.UDPAddr).AddrPort() {
			t.Fatalf("%v read %v from %v, want its own STUN message from the server", s.addr, buf[:n], from)
		}
		if _, err := s.writeTo([]byte("answer"), server.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
			t.Fatal(err)
		}
		n, sender, err := server.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if sender != s.localAddr().(*net.UDPAddr).AddrPort() || string(buf[:n]) != "answer" {
			t.Fatalf("server got %q from %v, want the answer from %v", buf[:n], sender, s.localAddr())
		}
	}
}

// A closed listener's address gets no more datagrams, and is not handed
// out again before the rest of the block.
func TestAddrReaderForgetsAClosedListener(t *testing.T) {
	r, err := newAddrReader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	a := openAddrForTest(t, r)
	_ = a.close()
	if n := openAddrForTest(t, r); n.addr == a.addr {
		t.Fatalf("closed listener's address %v handed out again at once", a.addr)
	}
	if _, _, err := a.readFrom(make([]byte, 10)); err != net.ErrClosed {
		t.Fatalf("read after close: %v, want net.ErrClosed", err)
	}
	r.close()
	if _, err := a.writeTo([]byte("x"), netip.MustParseAddrPort("127.0.0.1:9")); err != net.ErrClosed {
		t.Fatalf("write after the reader closed: %v, want net.ErrClosed", err)
	}
}

func openAddrForTest(t *testing.T, r *addrReader) *addrSocket {
	t.Helper()
	s, err := r.open()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.start(newCountingSocket(s, newTotals())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.close() })
	return s
}

// readWithin fails a lost datagram after a bound instead of hanging.
func readWithin(s *addrSocket, buf []byte) (int, netip.AddrPort, error) {
	type got struct {
		n    int
		from netip.AddrPort
		err  error
	}
	c := make(chan got, 1)
	go func() {
		n, from, err := s.readFrom(buf)
		c <- got{n, from, err}
	}()
	select {
	case g := <-c:
		return g.n, g.from, g.err
	case <-time.After(10 * time.Second):
		_ = s.close()
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}
