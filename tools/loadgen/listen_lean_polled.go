package main

import (
	"net"
	"net/netip"
)

// datagramConn is what the counting socket reads and writes through: the
// raw socket outside Go's poller (listen_lean_rawsock.go), or a polled one.
type datagramConn interface {
	readFrom(b []byte) (int, netip.AddrPort, error)
	writeTo(b []byte, to netip.AddrPort) (int, error)
	close() error
	localAddr() net.Addr
}

func (r *rawUDP) localAddr() net.Addr { return r.local }

// polledUDP is an ordinary Go UDP socket: its reader parks in the network
// poller and the kernel wakes it for each datagram that finds it waiting,
// as it wakes each of the SDK crowd's sockets. Over loopback that wake-up
// runs on the sending core — LiveKit's — which is what the "lean-polled"
// crowd is there to show.
type polledUDP struct{ conn *net.UDPConn }

func listenPolledUDP(ip netip.Addr) (*polledUDP, error) {
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return nil, err
	}
	return &polledUDP{conn: conn}, nil
}

func (p *polledUDP) readFrom(b []byte) (int, netip.AddrPort, error) {
	n, from, err := p.conn.ReadFromUDPAddrPort(b)
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
}

func (p *polledUDP) writeTo(b []byte, to netip.AddrPort) (int, error) {
	return p.conn.WriteToUDPAddrPort(b, netip.AddrPortFrom(to.Addr().Unmap(), to.Port()))
}

func (p *polledUDP) close() error        { return p.conn.Close() }
func (p *polledUDP) localAddr() net.Addr { return p.conn.LocalAddr() }
