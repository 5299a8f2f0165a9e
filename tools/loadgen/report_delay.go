package main

import "sync/atomic"

// opusClockRateHz is the RTP clock of Opus and of RED over Opus (RFC 7587).
const opusClockRateHz = 48000

// transitTracker measures one stream's delay variation: how much later than
// its fastest packet each packet arrived, against the time its RTP
// timestamp says it was captured. A guide stamps frame n with n frames of
// 48 kHz clock and sends it when it is due, so a packet that arrives later
// than the stream's best waited somewhere: in LiveKit's queues (or, when the
// generator's core is busy, in the guide's own). That wait is what a
// phone's jitter buffer has to cover with delay, so it is the part of a
// listener's latency the server's load adds. LiveKit rewrites each
// downtrack's timestamps by a constant offset, which the difference cancels.
type transitTracker struct {
	started    bool
	lastTs     uint32
	ticks      int64 // the timestamp since the first packet, unwrapped
	firstNs    int64 // the first packet's arrival
	minTransit int64 // the fastest transit so far, relative to the first packet's (ns)
}

// add takes a packet's RTP timestamp and arrival (ns) and returns how many
// nanoseconds later than the stream's fastest packet so far it arrived.
func (t *transitTracker) add(ts uint32, arrivedNs int64) int64 {
	if !t.started {
		t.started, t.lastTs, t.firstNs = true, ts, arrivedNs
		return 0
	}
	// int32: a packet reordered behind the newest steps back, one 2^32 wrap ahead steps forward.
	t.ticks += int64(int32(ts - t.lastTs))
	t.lastTs = ts
	transit := (arrivedNs - t.firstNs) - t.ticks*1_000_000_000/opusClockRateHz
	t.minTransit = min(t.minTransit, transit)
	return transit - t.minTransit
}

// delayBoundsMs are the histogram's upper bounds: a packet delayed by d ms
// counts in the first bucket whose bound is at least d; one past the last
// bound counts in the overflow bucket at the end.
var delayBoundsMs = []int64{1, 2, 5, 10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1000}

// delayHistogram counts packets by their delay variation, for the crowd's
// report: packets since start, bucket by bucket.
type delayHistogram struct {
	counts [17]atomic.Int64 // len(delayBoundsMs) + the overflow
}

func (h *delayHistogram) record(delayNs int64) {
	i := 0
	for i < len(delayBoundsMs) && delayNs > delayBoundsMs[i]*1_000_000 {
		i++
	}
	h.counts[i].Add(1)
}

// delayReport is the histogram in the per-second report line.
type delayReport struct {
	UpToMs  []int64 `json:"upToMs"`
	Packets []int64 `json:"packets"` // one more than UpToMs: the last counts the packets later than every bound
}

func (h *delayHistogram) snapshot() delayReport {
	packets := make([]int64, len(h.counts))
	for i := range h.counts {
		packets[i] = h.counts[i].Load()
	}
	return delayReport{UpToMs: delayBoundsMs, Packets: packets}
}
