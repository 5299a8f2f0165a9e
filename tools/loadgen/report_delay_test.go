package main

import (
	"net"
	"testing"
	"time"
)

const ms = int64(time.Millisecond)

func TestTransitTrackerMeasuresLatenessAgainstTheFastestPacket(t *testing.T) {
	var tr transitTracker
	start := int64(1_000_000 * ms)
	const frame = 960         // 20 ms at 48 kHz
	ts := uint32(0xFFFF_F000) // wraps within the stream
	steps := []struct {
		sentLateMs int64
		want       int64
	}{{0, 0}, {0, 0}, {35, 35}, {0, 0}, {12, 12}}
	for n, s := range steps {
		got := tr.add(ts+uint32(n*frame), start+int64(n)*20*ms+s.sentLateMs*ms)
		if got != s.want*ms {
			t.Fatalf("packet %d: %d ns late, want %d ms", n, got, s.want)
		}
	}
	// A packet faster than every earlier one becomes the reference: the earlier
	// ones were late by what it gained.
	n := len(steps)
	if got := tr.add(ts+uint32(n*frame), start+int64(n)*20*ms-5*ms); got != 0 {
		t.Fatalf("the fastest packet is %d ns late, want 0", got)
	}
	if got := tr.add(ts+uint32((n+1)*frame), start+int64(n+1)*20*ms); got != 5*ms {
		t.Fatalf("an on-time packet after it is %d ns late, want 5 ms", got)
	}
	// A reordered packet (timestamp behind the newest) is measured by its own timestamp.
	if got := tr.add(ts+uint32(n*frame), start+int64(n+2)*20*ms); got != 45*ms {
		t.Fatalf("a packet 40 ms behind its slot: %d ns, want 45 ms", got)
	}
}

func TestDelayHistogramBuckets(t *testing.T) {
	var h delayHistogram
	for _, d := range []int64{0, 1 * ms, 1*ms + 1, 200 * ms, 1000 * ms, 1000*ms + 1, 60_000 * ms} {
		h.record(d)
	}
	got := h.snapshot()
	if len(got.Packets) != len(got.UpToMs)+1 {
		t.Fatalf("%d buckets for %d bounds", len(got.Packets), len(got.UpToMs))
	}
	want := map[int]int64{0: 2, 1: 1, 12: 1, 15: 1, 16: 2} // ≤1, ≤2, ≤200, ≤1000, later
	for i, c := range got.Packets {
		if c != want[i] {
			t.Fatalf("bucket %d (up to %v ms): %d, want %d; all %v", i, got.UpToMs[min(i, len(got.UpToMs)-1)], c, want[i], got.Packets)
		}
	}
}

// The address reader hands the counting socket the kernel's arrival stamp:
// a packet sent 60 ms after the 20 ms its timestamp says lands in a bucket
// above 20 ms, its on-time predecessor in the first.
func TestAddrReaderMeasuresDelayFromArrivalStamps(t *testing.T) {
	r, err := newAddrReader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	s, err := r.open()
	if err != nil {
		t.Fatal(err)
	}
	tot := newTotals()
	counter := newCountingSocket(s, tot)
	if err := s.start(counter); err != nil {
		t.Fatal(err)
	}
	defer s.close()
	counter.own(7, tot.listener("a"))
	c, err := net.DialUDP("udp4", nil, s.localAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first, second := rtpPacket(7, 1), rtpPacket(7, 2)
	second[7] = 0xC0 // timestamp 960 - 20 ms after the first
	second[6] = 0x03
	if _, err := c.Write(first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(80 * time.Millisecond)
	if _, err := c.Write(second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tot.packets.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	d := tot.snapshot().Delay
	var onTime, late int64
	for i, n := range d.Packets {
		switch {
		case i == 0:
			onTime += n
		case i < len(d.UpToMs) && d.UpToMs[i-1] >= 20:
			late += n
		case i == len(d.UpToMs):
			late += n
		}
	}
	if onTime != 1 || late != 1 {
		t.Fatalf("delay buckets %v (up to %v ms): want the first packet on time and the second over 20 ms late", d.Packets, d.UpToMs)
	}
}
