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

func TestReportStylesAreAPhonesAndTheSDKs(t *testing.T) {
	phone, err := parseReportStyle("phone")
	if err != nil || phone.reference {
		t.Fatalf("phone: %+v, %v", phone, err)
	}
	for i := 0; i < 1000; i++ {
		if d := phone.next(); d < 2500*time.Millisecond || d >= 7500*time.Millisecond {
			t.Fatalf("a phone's interval %s is outside libwebrtc's 0.5-1.5 × 5 s", d)
		}
	}
	sdk, _ := parseReportStyle("sdk")
	if sdk.next() != time.Second || len(sdk.packets(1, []uint32{2}, 3, time.Now())) != 2 {
		t.Errorf("sdk: a receiver and an extended report every second, got %+v", sdk)
	}
	if len(phone.packets(1, []uint32{2}, 3, time.Now())) != 1 {
		t.Error("phone: a receiver report alone")
	}
	if _, err := parseReportStyle("often"); err == nil || err.Error() != `--reports must be none, phone or sdk, not "often"` {
		t.Errorf("got %v", err)
	}
}
