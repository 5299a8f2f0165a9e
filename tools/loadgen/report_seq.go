package main

// seqWindow is how far behind the newest packet a late one still fills its
// gap: 64 packets is over a second of 20 ms audio.
const seqWindow = 64

// seqTracker counts RTP sequence-number gaps of one stream. Sequence numbers
// are 16 bits and wrap; the signed 16-bit distance from the newest packet
// tells ahead from behind. A packet ahead by d > 1 counts d-1 lost; a packet
// behind within the window that was not seen before fills one gap (-1); a
// duplicate, or one too late to tell, counts nothing.
type seqTracker struct {
	started bool
	newest  uint16
	cycles  uint16 // times newest wrapped past 65535
	seen    uint64 // bit i: newest-i arrived
}

// extendedNewest is RFC 3550's extended highest sequence number (cycles in
// the high 16 bits), what a receiver report carries: pion's report
// interceptor (the SDK crowd) sends it so, and LiveKit takes a report whose
// number fell back by a wrap for a missed rollover.
func (s *seqTracker) extendedNewest() uint32 {
	return uint32(s.cycles)<<16 | uint32(s.newest)
}

// add takes one packet's sequence number and returns the change in lost.
func (s *seqTracker) add(seq uint16) int64 {
	if !s.started {
		s.started, s.newest, s.seen = true, seq, 1
		return 0
	}
	d := int16(seq - s.newest)
	switch {
	case d > 0:
		if d >= seqWindow {
			s.seen = 0
		} else {
			s.seen <<= uint(d)
		}
		s.seen |= 1
		if seq < s.newest {
			s.cycles++
		}
		s.newest = seq
		return int64(d) - 1
	case d == 0:
		return 0
	default:
		back := -int(d)
		if back >= seqWindow || s.seen&(1<<uint(back)) != 0 {
			return 0
		}
		s.seen |= 1 << uint(back)
		return -1
	}
}
