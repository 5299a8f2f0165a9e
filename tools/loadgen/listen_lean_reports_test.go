package main

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func TestReceiverReportNamesEveryStreamWithItsNewestSequence(t *testing.T) {
	raw, err := receiverReport(7, []uint32{11, 12}, 65535).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := rtcp.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	rr, ok := pkts[0].(*rtcp.ReceiverReport)
	if !ok || rr.SSRC != 7 || len(rr.Reports) != 2 {
		t.Fatalf("got %#v", pkts[0])
	}
	for i, want := range []uint32{11, 12} {
		if r := rr.Reports[i]; r.SSRC != want || r.LastSequenceNumber != 65535 || r.TotalLost != 0 {
			t.Errorf("report %d: %+v", i, r)
		}
	}
}

func TestReferenceTimeIsAnExtendedReportFromTheFirstStream(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 500_000_000, time.UTC)
	raw, err := referenceTime([]uint32{42, 43}, at).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := rtcp.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	xr, ok := pkts[0].(*rtcp.ExtendedReport)
	if !ok || xr.SenderSSRC != 42 || len(xr.Reports) != 1 {
		t.Fatalf("got %#v", pkts[0])
	}
	block, ok := xr.Reports[0].(*rtcp.ReceiverReferenceTimeReportBlock)
	if !ok {
		t.Fatalf("got %#v", xr.Reports[0])
	}
	// 2026-11-30T10:00:00Z is 1,796,032,800 s after 1970, plus 70 years of NTP; half a second is 2^31.
	if want := uint64(1796032800+2208988800)<<32 | 1<<31; block.NTPTimestamp != want {
		t.Errorf("NTP timestamp %x, want %x", block.NTPTimestamp, want)
	}
}
