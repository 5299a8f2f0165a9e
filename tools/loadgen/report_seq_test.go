package main

import "testing"

func lostAfter(seqs ...uint16) int64 {
	var s seqTracker
	var lost int64
	for _, q := range seqs {
		lost += s.add(q)
	}
	return lost
}

func TestSeqTrackerCountsGaps(t *testing.T) {
	cases := []struct {
		name string
		seqs []uint16
		want int64
	}{
		{"in order", []uint16{1, 2, 3, 4}, 0},
		{"one gap of two", []uint16{1, 2, 5, 6}, 2},
		{"two gaps", []uint16{10, 12, 15}, 3},
		{"wraps without loss", []uint16{65534, 65535, 0, 1}, 0},
		{"gap across the wrap", []uint16{65534, 1}, 2},
		{"reordered fills its gap", []uint16{1, 3, 2, 4}, 0},
		{"reordered across the wrap", []uint16{65535, 1, 0, 2}, 0},
		{"duplicate counts nothing", []uint16{1, 2, 2, 3}, 0},
		{"late duplicate of a filled gap", []uint16{1, 3, 2, 2, 4}, 0},
		{"too late to tell stays lost", []uint16{1, 3, 100, 2}, 97},
		{"first packet is only the start", []uint16{500}, 0},
	}
	for _, c := range cases {
		if got := lostAfter(c.seqs...); got != c.want {
			t.Errorf("%s: %v lost %d, want %d", c.name, c.seqs, got, c.want)
		}
	}
}

func TestSeqTrackerLongGap(t *testing.T) {
	// A jump past the window forgets what was seen: nothing behind it is
	// mistaken for a duplicate.
	if got := lostAfter(1, 200, 199); got != 197 {
		t.Errorf("lost %d, want 197", got)
	}
}

func TestSeqTrackerExtendsTheNewestAcrossWraps(t *testing.T) {
	cases := []struct {
		name string
		seqs []uint16
		want uint32
	}{
		{"no wrap", []uint16{10, 11, 12}, 12},
		{"one wrap", []uint16{65534, 65535, 0, 1}, 1<<16 | 1},
		{"a gap across the wrap", []uint16{65530, 3}, 1<<16 | 3},
		{"late packet from before the wrap", []uint16{65535, 0, 65534}, 1 << 16},
	}
	for _, c := range cases {
		var s seqTracker
		for _, q := range c.seqs {
			s.add(q)
		}
		if got := s.extendedNewest(); got != c.want {
			t.Errorf("%s: %v extended newest %#x, want %#x", c.name, c.seqs, got, c.want)
		}
	}
}
