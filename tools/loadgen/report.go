package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// report is the per-second JSON line on stdout: totals since start.
type report struct {
	Connected  int64 `json:"connected"`
	Failed     int64 `json:"failed"`
	Subscribed int64 `json:"subscribed"`
	Packets    int64 `json:"packets"`
	Bytes      int64 `json:"bytes"`
	// RTP sequence-number gaps summed over all listeners (late packets that
	// fill a gap are taken back off).
	Lost int64 `json:"lost"`
	// Connected and subscribed listeners that got no packet in the last second.
	Silent int `json:"silent"`
	// RTCP packets sent: receiver and extended reports (lean crowd with --reports; 0 otherwise).
	Reports int64 `json:"reports"`
	// Packets by how much later than their stream's fastest they arrived
	// (report_delay.go); counted by the lean-addrs crowd, all zero otherwise.
	Delay delayReport `json:"delay"`
}

// totals are the crowd's counters, shared by both clients.
type totals struct {
	connected, failed, subscribed, packets, bytes, lost, reports atomic.Int64
	delay                                                        delayHistogram

	mu        sync.Mutex
	listeners map[string]*listenerCount
}

// listenerCount is one listener's packets, for the silent count.
type listenerCount struct {
	subscribed atomic.Bool
	packets    atomic.Int64
	newestSeq  atomic.Uint32 // the newest RTP sequence number counted, extended by its wraps, for receiver reports
	lastSeen   int64         // packets at the previous report; the reporter's own
}

func newTotals() *totals {
	return &totals{listeners: map[string]*listenerCount{}}
}

// listener registers one listener by id and returns its counters.
func (t *totals) listener(id string) *listenerCount {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.listeners[id]
	if l == nil {
		l = &listenerCount{}
		t.listeners[id] = l
	}
	return l
}

// forget drops a listener that failed or left, so it is not counted silent.
func (t *totals) forget(id string) {
	t.mu.Lock()
	delete(t.listeners, id)
	t.mu.Unlock()
}

// packet counts one RTP packet of n bytes for listener l.
func (t *totals) packet(l *listenerCount, n int) {
	l.packets.Add(1)
	t.packets.Add(1)
	t.bytes.Add(int64(n))
}

// snapshot takes the report and starts a new second for the silent count.
func (t *totals) snapshot() report {
	silent := 0
	t.mu.Lock()
	for _, l := range t.listeners {
		now := l.packets.Load()
		if l.subscribed.Load() && now == l.lastSeen {
			silent++
		}
		l.lastSeen = now
	}
	t.mu.Unlock()
	return report{
		Connected:  t.connected.Load(),
		Failed:     t.failed.Load(),
		Subscribed: t.subscribed.Load(),
		Packets:    t.packets.Load(),
		Bytes:      t.bytes.Load(),
		Lost:       t.lost.Load(),
		Silent:     silent,
		Reports:    t.reports.Load(),
		Delay:      t.delay.snapshot(),
	}
}

// reportEverySecond writes a snapshot each second until done closes, and a
// last one then.
func (t *totals) reportEverySecond(out io.Writer, done <-chan struct{}) {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	enc := json.NewEncoder(out)
	for {
		select {
		case <-done:
			_ = enc.Encode(t.snapshot())
			return
		case <-ticker.C:
			_ = enc.Encode(t.snapshot())
		}
	}
}

// jwtLike matches a JSON Web Token: three base64url parts, the first the
// encoded `{"` every JWT header starts with.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// failure writes one stderr line for a listener that could not join. The
// server's refusal quotes the token back; it is redacted, tokens are secrets.
func failure(id string, err error) {
	fmt.Fprintf(os.Stderr, "loadgen: %s could not join: %s\n", id, jwtLike.ReplaceAllString(err.Error(), "[token]"))
}
