package main

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkReceive blasts audio-sized datagrams over loopback at a raw
// socket and reads them back, comparing the per-datagram recvfrom the lean
// crowd used before with recvmmsg batches of several sizes. Each round sends
// what a 2,500-listener crowd receives during one readPause (250 datagrams),
// then measures only the reads. cpu-ns/datagram is the reading thread's CPU
// time (user and system), the number to compare: it is what the crowd pays
// per datagram in cores, and other processes on a shared machine do not
// inflate it. wall-ns/datagram is elapsed time, which they do; ns/op also
// holds the sending.
//
//	cd tools/loadgen && go test -run xxx -bench Receive -benchtime 500000x -count 5
func BenchmarkReceive(b *testing.B) {
	b.Run("recvfrom", func(b *testing.B) {
		benchmarkReceive(b, func(r *rawUDP) reader { return perDatagramReader{r.fd} })
	})
	for _, size := range []int{1, 8, 16, 32, recvBatchSize, 128, 256} {
		b.Run(fmt.Sprintf("recvmmsg-%d", size), func(b *testing.B) {
			benchmarkReceive(b, func(r *rawUDP) reader {
				r.batch = newRecvBatch(size)
				return r
			})
		})
	}
}

type reader interface {
	readFrom(b []byte) (int, netip.AddrPort, error)
}

const (
	datagramsPerRound = 250
	audioDatagram     = 172 // an Opus frame with RED and the audio-level extension
)

func benchmarkReceive(b *testing.B, open func(*rawUDP) reader) {
	r, err := listenRawUDP(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		b.Fatal(err)
	}
	defer r.close()
	rd := open(r)
	send, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(send)
	if err := unix.Connect(send, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: r.local.Port}); err != nil {
		b.Fatal(err)
	}
	payload, buf := patterned(1, audioDatagram), make([]byte, 8192)
	// On one thread, so that thread's CPU clock sees all the reading.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var wall, cpu time.Duration
	b.ResetTimer()
	for left := b.N; left > 0; left -= datagramsPerRound {
		round := min(left, datagramsPerRound)
		for range round {
			if _, err := unix.Write(send, payload); err != nil {
				b.Fatal(err)
			}
		}
		start, startCPU := time.Now(), threadCPU(b)
		for range round {
			if n, _, err := rd.readFrom(buf); err != nil || n != audioDatagram {
				b.Fatalf("read %d bytes: %v", n, err)
			}
		}
		cpu += threadCPU(b) - startCPU
		wall += time.Since(start)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/datagram")
	b.ReportMetric(float64(wall.Nanoseconds())/float64(b.N), "wall-ns/datagram")
}

func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// perDatagramReader is the lean crowd's reader before recvmmsg: one
// recvfrom per datagram, the same pause when the queue is empty.
type perDatagramReader struct{ fd int }

func (p perDatagramReader) readFrom(b []byte) (int, netip.AddrPort, error) {
	for {
		n, from, err := unix.Recvfrom(p.fd, b, unix.MSG_DONTWAIT)
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
