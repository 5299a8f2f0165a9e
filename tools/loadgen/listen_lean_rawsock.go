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

// rawUDP is a UDP socket kept out of Go's network poller. A socket in the
// poller wakes the scheduler (an epoll_wait round) for every datagram that
// lands, even while nobody reads it; a CPU profile of 500 listeners showed
// that as two thirds of the crowd's time. This one is read without waiting
// (MSG_DONTWAIT) until drained, then left for readPause, so datagrams gather
// in the kernel's queue. They are taken out recvBatchSize at a time with one
// recvmmsg: a CPU profile of the crowd put 55 % of its time in a recvfrom
// per datagram, most of it the system call's fixed cost.
type rawUDP struct {
	fd     int
	local  *net.UDPAddr
	closed atomic.Bool

	readMu sync.Mutex // guards batch: readFrom may be called from any goroutine
	batch  *recvBatch
}

// readPause bounds how late a datagram is read: 2 ms of a 2,500-listener
// crowd is 250 audio packets, well inside the kernel's queue.
const readPause = 2 * time.Millisecond

func listenRawUDP(ip netip.Addr) (*rawUDP, error) {
	fd, local, err := bindUDP4(ip)
	if err != nil {
		return nil, err
	}
	// A deep queue rides out a scheduling hiccup. SO_RCVBUF is capped at
	// net.core.rmem_max (4 MiB here, ~150 ms of 2,000 listeners); root may
	// force past it.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 32<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 32<<20)
	}
	return &rawUDP{fd: fd, local: local, batch: newRecvBatch(recvBatchSize)}, nil
}

// readFrom returns the next datagram, pausing while the queue is empty. Like
// recvfrom, it copies at most len(b) bytes and drops the rest of a longer
// datagram, returning n == len(b) (a batch slot holds any IPv4 datagram, so
// the cut is the caller's buffer, never the batch's). After close it
// returns net.ErrClosed, even if datagrams of the last batch were unread.
func (r *rawUDP) readFrom(b []byte) (int, netip.AddrPort, error) {
	r.readMu.Lock()
	defer r.readMu.Unlock()
	for {
		if r.closed.Load() {
			return 0, netip.AddrPort{}, net.ErrClosed
		}
		if payload, from, ok := r.batch.next(); ok {
			return copy(b, payload), from, nil
		}
		err := r.batch.fill(r.fd)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			time.Sleep(readPause)
			continue
		}
		if err != nil {
			if r.closed.Load() {
				return 0, netip.AddrPort{}, net.ErrClosed // closed under a read: EBADF
			}
			return 0, netip.AddrPort{}, err
		}
	}
}

func (r *rawUDP) writeTo(b []byte, to netip.AddrPort) (int, error) { return sendToV4(r.fd, b, to) }

func (r *rawUDP) close() error {
	if r.closed.Swap(true) {
		return nil
	}
	return unix.Close(r.fd)
}

// recvBatchSize is how many datagrams one recvmmsg may return. On this
// project's VM a call's fixed cost (entry and exit, fd lookup, Go's
// entersyscall) is ~2 µs against ~0.24 µs of work per datagram
// (BenchmarkReceive, CPU ns per datagram: recvfrom 3,700, recvmmsg of 1
// 2,200, of 8 520, of 64 280, of 256 240). At the target load a 2 ms pause
// leaves ~250 datagrams queued, which 64 takes in four calls; 256 would save
// 0.5 % of a core at 125,000 datagrams/s for four times the slots (16 MiB of
// address space instead of 4).
const recvBatchSize = 64

// slotSize holds the largest IPv4 UDP payload (65,507 bytes), so a datagram
// is never cut shorter than recvfrom into the caller's buffer would cut it.
// Slots sit one cache line more than 64 KiB apart: at exactly 64 KiB, every
// slot's first line would map to the same cache set and evict the others.
const (
	slotSize   = 64 << 10
	slotStride = slotSize + 64
)

// mmsghdr is the kernel's struct mmsghdr, which x/sys (v0.48.0) does not
// define: a msghdr and the byte count received into it. Go pads it to the
// msghdr's alignment as C does (64 bytes on amd64).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// recvBatch is the arrays recvmmsg fills (a datagram's header, buffer and
// sender at the same index) and how many of its datagrams were served. The
// slots' 4 MiB (at 64) is mostly untouched: a datagram dirties only the
// pages it lands in.
type recvBatch struct {
	msgs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet4
	slots []byte
	ctrls []byte // a control buffer per datagram, when the socket reports destinations (withDestinations)
	got   int    // datagrams in the batch
	read  int    // datagrams served (or skipped)
	calls int    // recvmmsg calls that returned datagrams, so a test can see the batching
}

func newRecvBatch(size int) *recvBatch {
	rb := &recvBatch{
		msgs:  make([]mmsghdr, size),
		iovs:  make([]unix.Iovec, size),
		names: make([]unix.RawSockaddrInet4, size),
		slots: make([]byte, size*slotStride),
	}
	for i := range rb.msgs {
		rb.iovs[i].Base = &rb.slots[i*slotStride]
		rb.iovs[i].SetLen(slotSize)
		rb.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&rb.names[i]))
		rb.msgs[i].hdr.Iov = &rb.iovs[i]
		rb.msgs[i].hdr.SetIovlen(1)
	}
	return rb
}

// fill reads as many queued datagrams as the batch holds, without waiting;
// EAGAIN when none.
func (rb *recvBatch) fill(fd int) error {
	for i := range rb.msgs {
		rb.msgs[i].hdr.Namelen = unix.SizeofSockaddrInet4 // the kernel overwrites it
		if rb.ctrls != nil {
			rb.msgs[i].hdr.SetControllen(controlSpace) // and this
		}
	}
	got, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&rb.msgs[0])),
		uintptr(len(rb.msgs)), unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return errno
	}
	rb.got, rb.read = int(got), 0
	rb.calls++
	return nil
}

// next serves the batch's next IPv4 datagram: its bytes in the slot and its
// sender. The socket is AF_INET, so any other family is skipped, as before.
func (rb *recvBatch) next() ([]byte, netip.AddrPort, bool) {
	for rb.read < rb.got {
		i := rb.read
		rb.read++
		name := &rb.names[i]
		if name.Family != unix.AF_INET || rb.msgs[i].hdr.Namelen < unix.SizeofSockaddrInet4 {
			continue
		}
		port := (*[2]byte)(unsafe.Pointer(&name.Port)) // network byte order
		from := netip.AddrPortFrom(netip.AddrFrom4(name.Addr), uint16(port[0])<<8|uint16(port[1]))
		start := i * slotStride
		return rb.slots[start : start+int(rb.msgs[i].n)], from, true
	}
	return nil, netip.AddrPort{}, false
}
