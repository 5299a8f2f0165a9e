package main

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// portReader gives each listener a UDP port of its own, as a phone has,
// without the cost of Go's poller: LiveKit's single-port mode
// (rtc.udp_port) tells its peers apart by their address, so the one shared
// socket of the lean crowd cannot be used against it. Every port is in one
// epoll set that nobody waits on: the reader asks it without blocking, reads
// one datagram from each port that has any, and pauses readPause when none
// has. Since nothing sleeps in the kernel, a datagram landing wakes no one —
// the wake-ups the polled crowd pays for (listen_lean_polled.go).
type portReader struct {
	epfd   int
	mu     sync.RWMutex
	ports  map[int32]*portSocket
	closed atomic.Bool
}

// passQueue is how many of a listener's STUN and DTLS datagrams wait for
// pion's mux; ICE and DTLS retransmit what a full queue drops.
const passQueue = 64

// pionQueue is what a listener's socket hands pion: the datagrams it needs
// (STUN, DTLS), copied out of the reader's buffer, until the listener closes.
type pionQueue struct {
	pass chan datagram
	done chan struct{}
}

func newPionQueue() pionQueue {
	return pionQueue{pass: make(chan datagram, passQueue), done: make(chan struct{})}
}

// offer queues a copy of b, or drops it when the queue is full.
func (q pionQueue) offer(b []byte, from netip.AddrPort) {
	select {
	case q.pass <- datagram{b: append([]byte(nil), b...), from: from}:
	default:
	}
}

func (q pionQueue) readFrom(b []byte) (int, netip.AddrPort, error) {
	select {
	case d := <-q.pass:
		return copy(b, d.b), d.from, nil
	case <-q.done:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

// stop ends readFrom for good; called once, by the socket's close.
func (q pionQueue) stop() { close(q.done) }

func newPortReader() (*portReader, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r := &portReader{epfd: epfd, ports: map[int32]*portSocket{}}
	go r.loop()
	return r, nil
}

// portSocket is one listener's port: media is counted by the reader, the
// rest queued for pion.
type portSocket struct {
	fd      int
	local   *net.UDPAddr
	reader  *portReader
	counter *countingSocket
	pionQueue
	once sync.Once
}

type datagram struct {
	b    []byte
	from netip.AddrPort
}

// open binds a new port on ip; it is read once start gives it its counter.
func (r *portReader) open(ip netip.Addr) (*portSocket, error) {
	fd, local, err := bindUDP4(ip)
	if err != nil {
		return nil, err
	}
	return &portSocket{fd: fd, local: local, reader: r, pionQueue: newPionQueue()}, nil
}

// bindUDP4 opens a UDP socket on an ephemeral port of ip, with the kernel's
// default queue (a port carries one listener: 50 datagrams a second), and
// none of the raw socket's batch buffers (thousands of ports). The raw
// socket opens its own with it too.
func bindUDP4(ip netip.Addr) (int, *net.UDPAddr, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ip.As4()}); err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	in := sa.(*unix.SockaddrInet4)
	return fd, &net.UDPAddr{IP: net.IP(in.Addr[:]), Port: in.Port}, nil
}

func (p *portSocket) start(counter *countingSocket) error {
	p.counter = counter
	p.reader.mu.Lock()
	p.reader.ports[int32(p.fd)] = p
	p.reader.mu.Unlock()
	return unix.EpollCtl(p.reader.epfd, unix.EPOLL_CTL_ADD, p.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(p.fd)})
}

func (r *portReader) loop() {
	// The loop owns the epoll descriptor: closed when it has stopped using it.
	defer unix.Close(r.epfd)
	events := make([]unix.EpollEvent, 512)
	buf := make([]byte, 1600)
	for !r.closed.Load() {
		n, err := unix.EpollWait(r.epfd, events, 0)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		r.mu.RLock()
		for _, ev := range events[:max(n, 0)] {
			if p := r.ports[ev.Fd]; p != nil {
				p.readOne(buf)
			}
		}
		r.mu.RUnlock()
		// A full batch means more are ready: ask again at once.
		if n < len(events) {
			time.Sleep(readPause)
		}
	}
}

// readOne takes one datagram; a port with more stays ready for the next round.
func (p *portSocket) readOne(buf []byte) {
	n, from, err := unix.Recvfrom(p.fd, buf, unix.MSG_DONTWAIT)
	if err != nil {
		return
	}
	in, ok := from.(*unix.SockaddrInet4)
	if !ok {
		return
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port))
	if p.counter.take(buf[:n], addr) {
		p.offer(buf[:n], addr)
	}
}

func (p *portSocket) writeTo(b []byte, to netip.AddrPort) (int, error) { return sendToV4(p.fd, b, to) }

// sendToV4 writes one datagram to an IPv4 address (or an IPv4-mapped one).
func sendToV4(fd int, b []byte, to netip.AddrPort) (int, error) {
	sa, err := sockaddrV4(to)
	if err != nil {
		return 0, err
	}
	if err := unix.Sendto(fd, b, 0, sa); err != nil {
		return 0, err
	}
	return len(b), nil
}

// sockaddrV4 is an IPv4 (or IPv4-mapped) address as the kernel takes it.
func sockaddrV4(to netip.AddrPort) (*unix.SockaddrInet4, error) {
	ip := to.Addr().Unmap()
	if !ip.Is4() {
		return nil, errors.New("lean crowd: IPv4 only")
	}
	return &unix.SockaddrInet4{Addr: ip.As4(), Port: int(to.Port())}, nil
}

func (p *portSocket) close() error {
	p.once.Do(func() {
		// Out of the set and the table before the descriptor number can be reused.
		_ = unix.EpollCtl(p.reader.epfd, unix.EPOLL_CTL_DEL, p.fd, nil)
		p.reader.mu.Lock()
		delete(p.reader.ports, int32(p.fd))
		p.reader.mu.Unlock()
		_ = unix.Close(p.fd)
		p.stop()
	})
	return nil
}

func (p *portSocket) localAddr() net.Addr { return p.local }

// close stops the reader within readPause; the ports close with their listeners.
func (r *portReader) close() { r.closed.Store(true) }
