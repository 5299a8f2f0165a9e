package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pion/rtcp"
)

// Receiver reports (loadgen listen --reports none|phone|sdk): what a lean
// listener sends LiveKit about the audio it receives. LiveKit reads, decrypts
// and handles each report on its own core, so a crowd that sends none makes
// LiveKit's work per listener look cheaper than a real one's.
//
//   - phone: what a phone's WebRTC stack (libwebrtc) sends for an audio
//     stream it receives: a receiver report about every 5 s, each interval
//     drawn from 0.5-1.5 times that (rtcp_sender.cc, kDefaultAudioReportInterval).
//   - sdk: what the SDK crowd's subscriber sends every second (server-sdk-go
//     v2.19.0 transport.go, registerDefaultInterceptors): a receiver report
//     (pion's report interceptor) and, in a packet of its own, an extended
//     report with a receiver reference time (LiveKit's RTTFromXR interceptor,
//     mediatransportutil), which LiveKit answers.
//   - none: nothing, as the lean crowd did before.
type reportStyle struct {
	name      string
	every     time.Duration
	jitter    bool // each interval drawn from [0.5, 1.5) × every
	reference bool // an extended report with a receiver reference time too
}

var reportStyles = map[string]reportStyle{
	"none":  {name: "none"},
	"phone": {name: "phone", every: 5 * time.Second, jitter: true},
	"sdk":   {name: "sdk", every: time.Second, reference: true},
}

// parseReportStyle names the style, or says which ones there are.
func parseReportStyle(name string) (reportStyle, error) {
	s, ok := reportStyles[name]
	if !ok {
		return reportStyle{}, fmt.Errorf("--reports must be none, phone or sdk, not %q", name)
	}
	return s, nil
}

// next is the wait before the next report.
func (s reportStyle) next() time.Duration {
	if !s.jitter {
		return s.every
	}
	return time.Duration(float64(s.every) * (0.5 + rand.Float64()))
}

// reportBlock is what the listener knows of one stream: the newest sequence
// number the crowd's socket counted for it, extended by its wraps (RFC 3550,
// as pion's report interceptor sends it). Loss and jitter stay 0: the
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

// packets is one round of reports in the style.
func (s reportStyle) packets(own uint32, ssrcs []uint32, newestSeq uint32, now time.Time) []rtcp.Packet {
	out := []rtcp.Packet{receiverReport(own, ssrcs, newestSeq)}
	if s.reference {
		out = append(out, referenceTime(ssrcs, now))
	}
	return out
}

// sendReports writes a round of reports each interval, starting at a random
// point of the first one so that a crowd's reports do not arrive in bursts,
// until done closes; each packet goes on its own, as the SDK's interceptors
// send them. A report that cannot be written (the connection is closing) is
// skipped.
func (l *leanListener) sendReports(style reportStyle, done <-chan struct{}) {
	own := rand.Uint32()
	wait := time.NewTimer(time.Duration(rand.Int64N(int64(style.every))))
	defer wait.Stop()
	for {
		select {
		case <-wait.C:
		case <-done:
			return
		}
		l.mu.Lock()
		pc, ssrcs := l.pc, append([]uint32(nil), l.ssrcs...)
		l.mu.Unlock()
		if pc != nil && len(ssrcs) > 0 {
			for _, p := range style.packets(own, ssrcs, l.count.newestSeq.Load(), time.Now()) {
				if err := pc.WriteRTCP([]rtcp.Packet{p}); err == nil {
					l.crowd.t.reports.Add(1)
				}
			}
		}
		wait.Reset(style.next())
	}
}
