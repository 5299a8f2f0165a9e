package main

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// listenForTest opens a raw socket that the test closes, and closes it early
// after a bound, so a lost datagram fails the test instead of hanging it.
func listenForTest(t *testing.T) *rawUDP {
	t.Helper()
	r, err := listenRawUDP(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(10*time.Second, func() { _ = r.close() })
	t.Cleanup(func() { watchdog.Stop(); _ = r.close() })
	return r
}

func dialForTest(t *testing.T, to *net.UDPAddr) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, to)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// patterned is a datagram whose bytes say which datagram it is.
func patterned(index, size int) []byte {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(index*7 + j)
	}
	return b
}

func TestRawUDPReadsDatagramsOfEverySizeAndSenderInOrder(t *testing.T) {
	r := listenForTest(t)
	senders := []*net.UDPConn{dialForTest(t, r.local), dialForTest(t, r.local), dialForTest(t, r.local)}
	// Empty, tiny, audio-sized, MTU-sized, larger than pion's 8 KiB read
	// buffer, and the largest IPv4 UDP payload; 150 of them is two full
	// batches and a part.
	sizes := []int{0, 1, 172, 1500, 9000, 65507}
	const count = 150
	for i := range count {
		if _, err := senders[i%len(senders)].Write(patterned(i, sizes[i%len(sizes)])); err != nil {
			t.Fatal(err)
		}
	}
	b := make([]byte, 65536)
	for i := range count {
		n, from, err := r.readFrom(b)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		want := patterned(i, sizes[i%len(sizes)])
		if n != len(want) || !bytes.Equal(b[:n], want) {
			t.Fatalf("datagram %d: %d bytes (want %d), content equal: %v", i, n, len(want), bytes.Equal(b[:n], want))
		}
		if wantFrom := senders[i%len(senders)].LocalAddr().(*net.UDPAddr).AddrPort(); from != wantFrom {
			t.Fatalf("datagram %d from %v, want %v", i, from, wantFrom)
		}
	}
	// Per datagram that would be 150 calls; batched it is 3 when all were
	// queued before the first read, a few more if the kernel delivered late.
	if calls := r.batch.calls; calls > count/10 {
		t.Errorf("%d datagrams took %d recvmmsg calls", count, calls)
	}
}

// A datagram longer than the caller's buffer is cut to len(b) and its rest
// dropped, exactly as recvfrom cuts it: the same datagrams are sent to a
// batched socket and to one read with unix.Recvfrom, and must read the same.
func TestRawUDPCutsALongDatagramAsRecvfromDoes(t *testing.T) {
	cases := []struct{ datagram, buffer int }{
		{1000, 100}, {65507, 1500}, {65507, 8192}, {172, 172}, {10, 0}, {0, 10},
	}
	batched := listenForTest(t)
	plain := listenForTest(t)
	toBatched, toPlain := dialForTest(t, batched.local), dialForTest(t, plain.local)
	for i, c := range cases {
		for _, conn := range []*net.UDPConn{toBatched, toPlain} {
			if _, err := conn.Write(patterned(i, c.datagram)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range cases {
		got := make([]byte, c.buffer)
		n, _, err := batched.readFrom(got)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, c.buffer)
		wantN, err := recvfromWaiting(plain.fd, want)
		if err != nil {
			t.Fatal(err)
		}
		if n != wantN || !bytes.Equal(got[:n], want[:wantN]) {
			t.Errorf("%d-byte datagram into %d bytes: read %d, recvfrom read %d (content equal: %v)",
				c.datagram, c.buffer, n, wantN, bytes.Equal(got[:n], want[:wantN]))
		}
		if wantN != min(c.datagram, c.buffer) {
			t.Errorf("recvfrom read %d of a %d-byte datagram into %d bytes", wantN, c.datagram, c.buffer)
		}
	}
}

// recvfromWaiting is one recvfrom, waiting out a late delivery.
func recvfromWaiting(fd int, b []byte) (int, error) {
	for range 1000 {
		n, _, err := unix.Recvfrom(fd, b, unix.MSG_DONTWAIT)
		if !errors.Is(err, unix.EAGAIN) {
			return n, err
		}
		time.Sleep(time.Millisecond)
	}
	return 0, unix.EAGAIN
}

// closeBound is how soon a waiting reader must see close: one readPause and
// generous room for a loaded machine's scheduling.
const closeBound = 250 * time.Millisecond

func TestRawUDPCloseEndsAWaitingReader(t *testing.T) {
	r := listenForTest(t)
	done := make(chan error, 1)
	go func() {
		_, _, err := r.readFrom(make([]byte, 1500))
		done <- err
	}()
	time.Sleep(5 * readPause) // the reader finds the queue empty and pauses
	select {
	case err := <-done:
		t.Fatalf("reader returned before close: %v", err)
	default:
	}
	closed := time.Now()
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("reader ended with %v, want net.ErrClosed", err)
		}
		t.Logf("reader ended %v after close", time.Since(closed))
	case <-time.After(closeBound):
		t.Fatalf("reader still waiting %v after close", closeBound)
	}
	if err := r.close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestRawUDPCloseDropsTheRestOfTheBatch(t *testing.T) {
	r := listenForTest(t)
	send := dialForTest(t, r.local)
	for i := range 3 {
		if _, err := send.Write(patterned(i, 20)); err != nil {
			t.Fatal(err)
		}
	}
	b := make([]byte, 1500)
	if _, _, err := r.readFrom(b); err != nil {
		t.Fatal(err)
	}
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.readFrom(b); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after close: %v, want net.ErrClosed", err)
	}
}

// mmsghdr must be laid out as the kernel's struct mmsghdr, or recvmmsg would
// write each datagram's length into the next header.
func TestMmsghdrMatchesTheKernelLayout(t *testing.T) {
	var m mmsghdr
	align := unsafe.Alignof(m.hdr)
	wantSize := (unix.SizeofMsghdr + 4 + align - 1) / align * align
	if unsafe.Offsetof(m.n) != unix.SizeofMsghdr || unsafe.Sizeof(m) != wantSize {
		t.Fatalf("mmsghdr: length at %d, size %d; want %d and %d",
			unsafe.Offsetof(m.n), unsafe.Sizeof(m), unix.SizeofMsghdr, wantSize)
	}
}
