package main

import (
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// rawUDP is a UDP socket kept out of Go's network poller. A socket in the
// poller wakes the scheduler (an epoll_wait round) for every datagram that
// lands, even while nobody reads it; a CPU profile of 500 listeners showed
// that as two thirds of the crowd's time. This one is read without waiting
// (MSG_DONTWAIT) until drained, then left for readPause, so datagrams gather
// in the kernel's queue and cost one system call each and no wake-ups.
type rawUDP struct {
	fd     int
	local  *net.UDPAddr
	closed atomic.Bool
}

// readPause bounds how late a datagram is read: 2 ms of a 2,500-listener
// crowd is 250 audio packets, well inside the kernel's queue.
const readPause = 2 * time.Millisecond

func listenRawUDP(ip netip.Addr) (*rawUDP, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// A deep queue rides out a scheduling hiccup. SO_RCVBUF is capped at
	// net.core.rmem_max (4 MiB here, ~150 ms of 2,000 listeners); root may
	// force past it.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 32<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 32<<20)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ip.As4()}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	in := sa.(*unix.SockaddrInet4)
	return &rawUDP{fd: fd, local: &net.UDPAddr{IP: net.IP(in.Addr[:]), Port: in.Port}}, nil
}

// readFrom returns the next datagram, pausing while the queue is empty.
func (r *rawUDP) readFrom(b []byte) (int, netip.AddrPort, error) {
	for {
		if r.closed.Load() {
			return 0, netip.AddrPort{}, net.ErrClosed
		}
		n, from, err := unix.Recvfrom(r.fd, b, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			time.Sleep(readPause)
			continue
		}
		if err != nil {
			return 0, netip.AddrPort{}, err
		}
		in, ok := from.(*unix.SockaddrInet4)
		if !ok {
			continue
		}
		return n, netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port)), nil
	}
}

func (r *rawUDP) writeTo(b []byte, to netip.AddrPort) (int, error) {
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	if !to.Addr().Is4() {
		return 0, errors.New("lean crowd: IPv4 only")
	}
	if err := unix.Sendto(r.fd, b, 0, &unix.SockaddrInet4{Addr: to.Addr().As4(), Port: int(to.Port())}); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (r *rawUDP) close() error {
	if r.closed.Swap(true) {
		return nil
	}
	return unix.Close(r.fd)
}
