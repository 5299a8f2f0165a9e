package main

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// addrReader gives each listener an address of its own on one shared
// socket ("lean-addrs"). LiveKit's single-port mode (rtc.udp_port) tells its
// peers apart by their address, so the lean crowd's one socket on one
// address cannot join it; a socket per listener can (lean-ports), but costs
// a system call per datagram and an epoll set of thousands of ports: the
// crowd then saturates its core near 750 listeners, before LiveKit does.
//
// Linux delivers all of 127.0.0.0/8 on the loopback device, so every
// listener takes an address of its own in listenerBlock and the same port,
// and one socket bound to the wildcard address receives them all. The
// kernel says which address each datagram was sent to (IP_PKTINFO), which
// recvmmsg returns with the datagram; a listener's writes name its address
// as the source the same way. So the crowd reads in batches, as the shared
// socket does, while LiveKit sees a peer per address, as it sees phones.
//
// The kernel also stamps each datagram when it arrives (SO_TIMESTAMPNS):
// over loopback, when LiveKit sent it. The counting socket measures each
// stream's delay variation from those stamps (report_delay.go), unaffected
// by how late the crowd reads.
type addrReader struct {
	fd    int
	port  int
	batch *recvBatch // the loop's own

	mu      sync.RWMutex
	byAddr  map[netip.Addr]*addrSocket
	handed  uint32 // addresses handed out so far: the next one follows
	closed  atomic.Bool
	stopped chan struct{}
	fdMu    sync.RWMutex // writes hold it for reading; close takes it to close fd
}

// listenerBlock is where listeners' addresses come from: 127.99.0.0/16,
// away from 127.0.0.1 (LiveKit's node_ip, Redis, the signal). Addresses are
// handed out in order and reused only after all 65,024 (the .0 and .255 of
// each /24 skipped), so a leaving listener's late datagrams cannot reach a
// newcomer.
var listenerBlock = [2]byte{127, 99}

const listenerAddresses = 256 * 254

// controlSpace is the control buffer a datagram's IP_PKTINFO and
// SCM_TIMESTAMPNS messages need.
var controlSpace = unix.CmsgSpace(unix.SizeofInet4Pktinfo) + unix.CmsgSpace(sizeofTimespec)

// sizeofTimespec is the kernel's struct timespec, which x/sys names no size for.
const sizeofTimespec = int(unsafe.Sizeof(unix.Timespec{}))

func newAddrReader() (*addrReader, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	port, err := bindWildcardWithDestinations(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	// The deep queue of the shared socket (listen_lean_rawsock.go).
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 32<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 32<<20)
	}
	r := &addrReader{fd: fd, port: port, batch: newRecvBatch(recvBatchSize).withDestinations(),
		byAddr: map[netip.Addr]*addrSocket{}, stopped: make(chan struct{})}
	go r.loop()
	return r, nil
}

// bindWildcardWithDestinations binds 0.0.0.0 on an ephemeral port and asks
// for each datagram's destination address and arrival time; it returns the
// port.
func bindWildcardWithDestinations(fd int) (int, error) {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1); err != nil {
		return 0, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return 0, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{}); err != nil {
		return 0, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	return sa.(*unix.SockaddrInet4).Port, nil
}

// withDestinations gives every datagram of the batch a control buffer for
// its IP_PKTINFO and arrival time; control then reads the last datagram's.
func (rb *recvBatch) withDestinations() *recvBatch {
	rb.ctrls = make([]byte, len(rb.msgs)*controlSpace)
	for i := range rb.msgs {
		rb.msgs[i].hdr.Control = &rb.ctrls[i*controlSpace]
		rb.msgs[i].hdr.SetControllen(controlSpace)
	}
	return rb
}

// control is where the last datagram next served was sent to (its
// IP_PKTINFO's ipi_addr, the header's destination) and when the kernel
// received it (SCM_TIMESTAMPNS, nanoseconds of the realtime clock; 0 if the
// stamp is missing). ok is false without a destination.
func (rb *recvBatch) control() (to netip.Addr, arrivedNs int64, ok bool) {
	i := rb.read - 1
	if rb.ctrls == nil || i < 0 {
		return netip.Addr{}, 0, false
	}
	ctrl := rb.ctrls[i*controlSpace : i*controlSpace+min(int(rb.msgs[i].hdr.Controllen), controlSpace)]
	for len(ctrl) >= unix.CmsgLen(0) {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&ctrl[0]))
		if int(h.Len) < unix.CmsgLen(0) || int(h.Len) > len(ctrl) {
			break
		}
		data := ctrl[unix.CmsgLen(0):h.Len]
		switch {
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			to, ok = netip.AddrFrom4((*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0])).Addr), true
		case h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && len(data) >= sizeofTimespec:
			arrivedNs = (*unix.Timespec)(unsafe.Pointer(&data[0])).Nano()
		}
		next := unix.CmsgSpace(int(h.Len) - unix.CmsgLen(0))
		if next > len(ctrl) {
			break
		}
		ctrl = ctrl[next:]
	}
	return to, arrivedNs, ok
}

func (r *addrReader) loop() {
	defer close(r.stopped)
	for !r.closed.Load() {
		err := r.batch.fill(r.fd)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			time.Sleep(readPause)
			continue
		}
		if err != nil {
			return
		}
		r.mu.RLock()
		for {
			payload, from, ok := r.batch.next()
			if !ok {
				break
			}
			if to, arrivedNs, ok := r.batch.control(); ok {
				if s := r.byAddr[to]; s != nil {
					s.deliver(payload, from, arrivedNs)
				}
			}
		}
		r.mu.RUnlock()
		// A full batch means more are queued: read again at once.
		if r.batch.got < len(r.batch.msgs) {
			time.Sleep(readPause)
		}
	}
}

// close stops the loop, then closes the socket, so no write can reach a
// descriptor number the process has reused.
func (r *addrReader) close() {
	if r.closed.Swap(true) {
		return
	}
	<-r.stopped
	r.fdMu.Lock()
	_ = unix.Close(r.fd)
	r.fd = -1
	r.fdMu.Unlock()
}

// addrSocket is one listener's address: its media is counted by the
// reader, the rest queued for pion, as a port of lean-ports is.
type addrSocket struct {
	reader  *addrReader
	addr    netip.Addr
	source  []byte // the IP_PKTINFO control message that names addr as the source
	counter *countingSocket
	pionQueue
	once sync.Once
}

// open hands out the next free address; it is read once start gives it its counter.
func (r *addrReader) open() (*addrSocket, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range listenerAddresses {
		n := r.handed % listenerAddresses
		r.handed++
		addr := netip.AddrFrom4([4]byte{listenerBlock[0], listenerBlock[1], byte(n / 254), byte(n%254 + 1)})
		if _, taken := r.byAddr[addr]; !taken {
			source := unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: addr.As4()})
			return &addrSocket{reader: r, addr: addr, source: source, pionQueue: newPionQueue()}, nil
		}
	}
	return nil, errors.New("lean crowd: every address of 127.99.0.0/16 is in use")
}

func (s *addrSocket) start(counter *countingSocket) error {
	s.counter = counter
	s.reader.mu.Lock()
	defer s.reader.mu.Unlock()
	if s.reader.closed.Load() {
		return net.ErrClosed
	}
	s.reader.byAddr[s.addr] = s
	return nil
}

// deliver counts media and queues the rest for pion (the reader's goroutine).
func (s *addrSocket) deliver(b []byte, from netip.AddrPort, arrivedNs int64) {
	if s.counter.takeArrived(b, from, arrivedNs) {
		s.offer(b, from)
	}
}

// writeTo sends from the listener's own address.
func (s *addrSocket) writeTo(b []byte, to netip.AddrPort) (int, error) {
	sa, err := sockaddrV4(to)
	if err != nil {
		return 0, err
	}
	s.reader.fdMu.RLock()
	defer s.reader.fdMu.RUnlock()
	if s.reader.fd < 0 {
		return 0, net.ErrClosed
	}
	return unix.SendmsgN(s.reader.fd, b, s.source, sa, 0)
}

func (s *addrSocket) close() error {
	s.once.Do(func() {
		s.reader.mu.Lock()
		if s.reader.byAddr[s.addr] == s {
			delete(s.reader.byAddr, s.addr)
		}
		s.reader.mu.Unlock()
		s.stop()
	})
	return nil
}

func (s *addrSocket) localAddr() net.Addr {
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.addr, uint16(s.reader.port)))
}
