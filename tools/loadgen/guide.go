package main

// `loadgen guide`: many tour guides in one process, each publishing one
// microphone track whose RTP stream is what a phone's LiveKit SDK sends for
// the lever settings (frame size, RED, DTX, bitrate, share of speech). The
// capacity benchmark runs ~70 of them beside its listeners, where an
// @livekit/rtc-node client per guide would cost more CPU than it measures.
//
// stdin: one JSON object per line (guideRequest); stdout: one JSON line a
// second with the totals since start; stderr: one line per failure or bad
// line. stdin closed or SIGTERM: every guide leaves its room, exit 0.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

type guideRequest struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Token       string   `json:"token"`
	FrameMs     *int     `json:"frameMs"`
	Red         bool     `json:"red"`
	Dtx         bool     `json:"dtx"`
	BitrateKbps *int     `json:"bitrateKbps"`
	Speech      *float64 `json:"speech"`
}

type guideSettings struct {
	id, url, token string
	red, dtx       bool
	frames         guideFrames
}

// parseGuideLine validates one stdin line; the error names the field and
// what it accepts. Missing frameMs, bitrateKbps and speech default to a
// phone's defaults (20 ms, 32 kbps) and continuous speech.
func parseGuideLine(line []byte) (guideSettings, error) {
	var req guideRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return guideSettings{}, fmt.Errorf("not a JSON object {\"id\",\"url\",\"token\",\"frameMs\",...}: %v", err)
	}
	for field, value := range map[string]string{"id": req.ID, "url": req.URL, "token": req.Token} {
		if value == "" {
			return guideSettings{}, fmt.Errorf("%q is missing or empty", field)
		}
	}
	s := guideSettings{id: req.ID, url: req.URL, token: req.Token, red: req.Red, dtx: req.Dtx,
		frames: guideFrames{frameMs: 20, bitrateKbps: 32, speech: 1, dtx: req.Dtx}}
	if req.FrameMs != nil {
		if f := *req.FrameMs; f != 20 && f != 40 && f != 60 {
			return s, fmt.Errorf("frameMs must be 20, 40 or 60 (got %d)", f)
		}
		s.frames.frameMs = *req.FrameMs
	}
	if req.BitrateKbps != nil {
		// Opus codes 6 to 510 kbps (RFC 6716 §2.1.1).
		if b := *req.BitrateKbps; b < 6 || b > 510 {
			return s, fmt.Errorf("bitrateKbps must be 6..510 (got %d)", b)
		}
		s.frames.bitrateKbps = *req.BitrateKbps
	}
	if req.Speech != nil {
		if sp := *req.Speech; !(sp >= 0 && sp <= 1) {
			return s, fmt.Errorf("speech must be 0..1, the share of time the guide talks (got %v)", sp)
		}
		s.frames.speech = *req.Speech
	}
	// Where in its talk cycle each guide starts, so guides pause out of step.
	h := fnv.New32a()
	h.Write([]byte(req.ID))
	s.frames.phaseMs = int(h.Sum32() % talkCycleMs)
	return s, nil
}

const joinAttempts = 3

type guideTotals struct {
	Connected atomic.Int64
	Failed    atomic.Int64
	Published atomic.Int64
	Packets   atomic.Int64
	Bytes     atomic.Int64
	// Late counts the packets sent by how long after their slot was due: the
	// part of the crowd's delay (report_delay.go) the guides' own busy core
	// adds, not LiveKit.
	Late delayHistogram
}

type guideReport struct {
	Connected int64       `json:"connected"`
	Failed    int64       `json:"failed"`
	Published int64       `json:"published"`
	Packets   int64       `json:"packets"`
	Bytes     int64       `json:"bytes"` // RTP bytes: header, extensions and payload
	Late      delayReport `json:"late"`
}

func (t *guideTotals) line() guideReport {
	return guideReport{t.Connected.Load(), t.Failed.Load(), t.Published.Load(), t.Packets.Load(), t.Bytes.Load(), t.Late.snapshot()}
}

func runGuide() int {
	// The SDK's and pion's info logs would be several lines per guide; stderr
	// is kept to one line per failure, which this file writes itself.
	lksdk.SetLogger(logger.GetDiscardLogger())
	var (
		totals guideTotals
		mu     sync.Mutex
		rooms  []*lksdk.Room
		wg     sync.WaitGroup
	)
	stop := make(chan struct{})
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		out := json.NewEncoder(os.Stdout)
		ticker := time.NewTicker(time.Second)
		defer ticker.Stop()
		for {
			select {
			case <-stop:
				_ = out.Encode(totals.line())
				return
			case <-ticker.C:
				_ = out.Encode(totals.line())
			}
		}
	}()
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		os.Stdin.Close()
	}()

	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 64*1024), 64*1024)
	for lineNo := 1; scanner.Scan(); lineNo++ {
		settings, err := parseGuideLine(scanner.Bytes())
		if err != nil {
			totals.Failed.Add(1)
			fmt.Fprintf(os.Stderr, "loadgen guide: line %d: %v\n", lineNo, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			room := runOneGuide(settings, &totals, stop)
			if room != nil {
				mu.Lock()
				rooms = append(rooms, room)
				mu.Unlock()
			}
		}()
	}
	close(stop)
	wg.Wait()
	for _, room := range rooms {
		room.Disconnect()
	}
	<-reported
	return 0
}

// runOneGuide joins, publishes and starts the guide's sender; it returns the
// room to leave at the end (nil when the join failed).
func runOneGuide(s guideSettings, totals *guideTotals, stop <-chan struct{}) *lksdk.Room {
	codecs := []livekit.Codec{{Mime: mimeOpus, FmtpLine: opusCodec.SDPFmtpLine}}
	if s.red {
		codecs = append([]livekit.Codec{{Mime: mimeRED, FmtpLine: redCodec.SDPFmtpLine}}, codecs...)
	}
	// A phone's app retries a join that a busy server did not answer in
	// time; so does a guide here, before it counts as failed.
	var room *lksdk.Room
	var err error
	for attempt := 1; attempt <= joinAttempts; attempt++ {
		room, err = lksdk.ConnectToRoomWithToken(s.url, s.token, lksdk.NewRoomCallback(),
			lksdk.WithAutoSubscribe(false), lksdk.WithCodecs(codecs))
		if err == nil {
			break
		}
		if attempt < joinAttempts {
			select {
			case <-stop:
				attempt = joinAttempts
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
	}
	if err != nil {
		totals.Failed.Add(1)
		fmt.Fprintf(os.Stderr, "loadgen guide: %s could not join (%d attempts): %v\n", s.id, joinAttempts, err)
		return nil
	}
	totals.Connected.Add(1)
	track := newGuideTrack(s.id, s.red)
	// Without RED the offer carries Opus alone, so the server cannot pick RED;
	// server-sdk-go has no DisableRed option, which only matters to a server
	// running active_red_encoding (off by default).
	_, err = room.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{
		Name: "microphone", Source: livekit.TrackSource_MICROPHONE, DisableDTX: !s.dtx})
	if err != nil {
		totals.Failed.Add(1)
		fmt.Fprintf(os.Stderr, "loadgen guide: %s could not publish: %v\n", s.id, err)
		return room
	}
	totals.Published.Add(1)
	go sendFrames(s, track, totals, stop)
	return room
}

// sendFrames is the guide's encoder clock: frame slots are due every frameMs
// of wall-clock time from the moment the transport binds the track, and the
// guide wakes when the next one is due. A wake-up that comes late (a busy
// core) sends every slot due by then, as a phone's encoder would have queued
// them, so the packet rate holds under load. (A ticker started apart from
// the slots' clock woke just before a slot was due about half the time and
// sent it a frame late: 10-20 ms of jitter a phone does not have.)
func sendFrames(s guideSettings, track *guideTrack, totals *guideTotals, stop <-chan struct{}) {
	frame := time.Duration(s.frames.frameMs) * time.Millisecond
	wake := time.NewTimer(frame)
	defer wake.Stop()
	var (
		stream             *guideStream
		started            time.Time
		slots              int64
		reportedWriteError bool
	)
	for {
		select {
		case <-stop:
			return
		case <-wake.C:
		}
		b := track.binding()
		if b == nil {
			wake.Reset(frame)
			continue
		}
		if stream == nil {
			stream = newGuideStream(s.frames, s.red, b.opusPT, uint16(rand.Uint32()), rand.Uint32())
			started = time.Now()
		}
		for due := int64(time.Since(started)/frame) + 1; slots < due; slots++ {
			pkt, ok := stream.next()
			if !ok {
				continue
			}
			n, err := track.write(b, pkt)
			if err != nil {
				if !reportedWriteError && !errors.Is(err, io.ErrClosedPipe) {
					reportedWriteError = true
					fmt.Fprintf(os.Stderr, "loadgen guide: %s write: %v\n", s.id, err)
				}
				continue
			}
			totals.Packets.Add(1)
			totals.Bytes.Add(int64(n))
			totals.Late.record(int64(time.Since(started) - time.Duration(slots)*frame))
		}
		wake.Reset(time.Until(started.Add(time.Duration(slots) * frame)))
	}
}
