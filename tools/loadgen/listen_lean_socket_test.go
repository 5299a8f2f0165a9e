package main

import (
	"net"
	"net/netip"
	"testing"
)

func TestClassify(t *testing.T) {
	rtp := make([]byte, 20)
	rtp[0], rtp[1] = 0x80, 111 // version 2, Opus
	red := append([]byte{}, rtp...)
	red[1] = 0x80 | 63 // marker bit set, RED
	rtcpSR := []byte{0x80, 200, 0, 6, 1, 2, 3, 4}
	cases := []struct {
		name string
		b    []byte
		want packetKind
	}{
		{"empty", nil, kindOther},
		{"STUN binding request", []byte{0x00, 0x01, 0x00, 0x00}, kindSTUN},
		{"DTLS handshake", []byte{22, 0xfe, 0xfd}, kindDTLS},
		{"DTLS application data", []byte{23, 0xfe, 0xfd}, kindDTLS},
		{"RTP Opus", rtp, kindRTP},
		{"RTP RED with marker", red, kindRTP},
		{"RTCP sender report", rtcpSR, kindRTCP},
		{"RTCP receiver report", []byte{0x81, 201, 0, 7}, kindRTCP},
		{"RTP header cut short", rtp[:8], kindOther},
		{"TURN channel data", []byte{0x40, 0x00, 0x00, 0x04}, kindOther},
		{"ZRTP range", []byte{16, 0}, kindOther},
	}
	for _, c := range cases {
		if got := classify(c.b); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func rtpPacket(ssrc uint32, seq uint16) []byte {
	b := make([]byte, 40)
	b[0], b[1] = 0x80, 111
	b[2], b[3] = byte(seq>>8), byte(seq)
	b[8], b[9], b[10], b[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	return b
}

// The counting socket behaves the same over every way of receiving: the
// drained raw socket (lean), a polled one (lean-polled), a port in the
// unwaited epoll set (lean-ports) and an address on a shared socket (lean-addrs).
func TestCountingSocketCountsPerStreamAndPassesTheRest(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	noStart := func(*countingSocket) error { return nil }
	opens := map[string]func() (datagramConn, func(*countingSocket) error, error){
		"raw": func() (datagramConn, func(*countingSocket) error, error) {
			c, err := listenRawUDP(ip)
			return c, noStart, err
		},
		"polled": func() (datagramConn, func(*countingSocket) error, error) {
			c, err := listenPolledUDP(ip)
			return c, noStart, err
		},
		"ports": func() (datagramConn, func(*countingSocket) error, error) {
			r, err := newPortReader()
			if err != nil {
				return nil, nil, err
			}
			t.Cleanup(r.close)
			p, err := r.open(ip)
			return p, p.start, err
		},
		"addrs": func() (datagramConn, func(*countingSocket) error, error) {
			r, err := newAddrReader()
			if err != nil {
				return nil, nil, err
			}
			t.Cleanup(r.close)
			s, err := r.open()
			return s, s.start, err
		},
	}
	for name, open := range opens {
		t.Run(name, func(t *testing.T) {
			recv, start, err := open()
			if err != nil {
				t.Fatal(err)
			}
			countsPerStreamAndPassesTheRest(t, recv, start)
		})
	}
}

func countsPerStreamAndPassesTheRest(t *testing.T, recv datagramConn, start func(*countingSocket) error) {
	local := recv.localAddr().(*net.UDPAddr)
	tot := newTotals()
	s := newCountingSocket(recv, tot)
	if err := start(s); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mine := tot.listener("a")
	s.own(7, mine)
	send := func(b []byte) {
		c, err := net.DialUDP("udp4", nil, local)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	// One sender: seq 1, 2, 4 of SSRC 7 (one lost), an unknown SSRC, an
	// RTCP report, then a STUN message, which is the first thing returned.
	c, err := net.DialUDP("udp4", nil, local)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, b := range [][]byte{rtpPacket(7, 1), rtpPacket(7, 2), rtpPacket(7, 4), rtpPacket(9, 1), {0x80, 200, 0, 6, 0, 0, 0, 7}, {0x00, 0x01, 0x00, 0x00}} {
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 1500)
	n, from, err := s.ReadFromAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if classify(buf[:n]) != kindSTUN || from != netip.MustParseAddrPort(c.LocalAddr().String()) {
		t.Fatalf("returned %v from %v, want the STUN message from %v", buf[:n], from, c.LocalAddr())
	}
	r := tot.snapshot()
	if r.Packets != 3 || r.Bytes != 120 || r.Lost != 1 || mine.packets.Load() != 3 {
		t.Fatalf("report %+v, listener packets %d; want 3 packets, 120 bytes, 1 lost", r, mine.packets.Load())
	}
	// Another address with the same SSRC is another stream: its own sequence.
	send(rtpPacket(7, 100))
	send([]byte{0x00, 0x01, 0x00, 0x00})
	if _, _, err := s.ReadFromAddrPort(buf); err != nil {
		t.Fatal(err)
	}
	if r := tot.snapshot(); r.Packets != 4 || r.Lost != 1 {
		t.Fatalf("report %+v; want 4 packets and still 1 lost", r)
	}
}

func TestAudioSSRCs(t *testing.T) {
	offer := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 63 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n" +
		"a=ssrc:1111 cname:x\r\na=ssrc:1111 msid:a b\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\na=ssrc:2222 cname:y\r\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"
	got := audioSSRCs(offer)
	if len(got) != 1 || got[0] != 1111 {
		t.Fatalf("audioSSRCs = %v, want [1111]", got)
	}
}
