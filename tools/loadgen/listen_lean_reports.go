package main

import (
	"math/rand/v2"
	"time"

	"github.com/pion/rtcp"
)

// Receiver reports, when asked for (loadgen listen --reports 1s): each lean
// listener sends LiveKit what the SDK crowd's subscriber sends every second
// (server-sdk-go v2.19.0 transport.go, registerDefaultInterceptors): an RTCP
// receiver report (pion's report interceptor) and, in a packet of its own,
// an extended report with a receiver reference time (LiveKit's RTTFromXR
// interceptor, mediatransportutil), which LiveKit answers. A phone's WebRTC
// stack sends reports too, for audio every few seconds. LiveKit reads,
// decrypts and handles each one on its own core, so a crowd that sends none
// makes LiveKit's work per listener look cheaper than it is.

// reportBlock is what the listener knows of one stream: the newest sequence
// number the crowd's socket counted for it. Loss and jitter stay 0: the
// report costs LiveKit the same to handle, and the crowd reports loss itself.
func reportBlock(ssrc uint32, newestSeq uint32) rtcp.ReceptionReport {
	return rtcp.ReceptionReport{SSRC: ssrc, LastSequenceNumber: newestSeq}
}

// referenceTime is the extended report asking LiveKit for the round-trip
// time, sent as the SDK's subscriber sends it: from the first remote SSRC.
func referenceTime(ssrcs []uint32, now time.Time) *rtcp.ExtendedReport {
	return &rtcp.ExtendedReport{SenderSSRC: ssrcs[0], Reports: []rtcp.ReportBlock{
		&rtcp.ReceiverReferenceTimeReportBlock{NTPTimestamp: ntpTime(now)},
	}}
}

// ntpTime is RFC 3550's 64-bit NTP timestamp: seconds since 1900, then the fraction.
func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	secs := uint64(t.Unix()) + unixToNTP
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// receiverReport is one listener's report on its streams, from its own SSRC.
func receiverReport(own uint32, ssrcs []uint32, newestSeq uint32) *rtcp.ReceiverReport {
	rr := &rtcp.ReceiverReport{SSRC: own}
	for _, s := range ssrcs {
		rr.Reports = append(rr.Reports, reportBlock(s, newestSeq))
	}
	return rr
}

// sendReports writes a receiver report every interval, starting at a random
// point of the first interval so that a crowd's reports do not arrive in
// bursts, until done closes. A report that cannot be written (the
// connection is closing) is skipped.
func (l *leanListener) sendReports(interval time.Duration, done <-chan struct{}) {
	own := rand.Uint32()
	first := time.NewTimer(time.Duration(rand.Int64N(int64(interval))))
	defer first.Stop()
	select {
	case <-first.C:
	case <-done:
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		l.mu.Lock()
		pc, ssrcs := l.pc, append([]uint32(nil), l.ssrcs...)
		l.mu.Unlock()
		if pc != nil && len(ssrcs) > 0 {
			rr := receiverReport(own, ssrcs, l.count.newestSeq.Load())
			for _, p := range []rtcp.Packet{rr, referenceTime(ssrcs, time.Now())} {
				if err := pc.WriteRTCP([]rtcp.Packet{p}); err == nil {
					l.crowd.t.reports.Add(1)
				}
			}
		}
		select {
		case <-tick.C:
		case <-done:
			return
		}
	}
}
