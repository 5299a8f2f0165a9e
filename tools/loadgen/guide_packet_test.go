package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/pion/rtp"
)

// packetsOver runs a guide's stream for durationMs of frame slots.
func packetsOver(frames guideFrames, red bool, durationMs int) []guidePacket {
	s := newGuideStream(frames, red, 111, 65530, 4294967000)
	var out []guidePacket
	for slot := 0; slot*frames.frameMs < durationMs; slot++ {
		if p, ok := s.next(); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestPacketRatePerFrameSize(t *testing.T) {
	for frameMs, perMinute := range map[int]int{20: 3000, 40: 1500, 60: 1000} {
		pkts := packetsOver(guideFrames{frameMs: frameMs, bitrateKbps: 32, speech: 1}, false, 60_000)
		if len(pkts) != perMinute {
			t.Errorf("frameMs %d: %d packets a minute, want %d", frameMs, len(pkts), perMinute)
		}
		// Timestamps advance 48 kHz × frame (wrapping) and sequence numbers by one.
		for i := 1; i < len(pkts); i++ {
			if d := pkts[i].timestamp - pkts[i-1].timestamp; d != uint32(48*frameMs) {
				t.Fatalf("frameMs %d: timestamp step %d, want %d", frameMs, d, 48*frameMs)
			}
			if pkts[i].sequence != pkts[i-1].sequence+1 {
				t.Fatalf("frameMs %d: sequence %d after %d", frameMs, pkts[i].sequence, pkts[i-1].sequence)
			}
		}
	}
}

func TestOpusTOCMatchesFrameSizeAndBitrate(t *testing.T) {
	cases := []struct {
		frameMs   int
		kind      frameKind
		toc       byte
		bytesNear int
	}{
		{20, frameSpeech, 15<<3 | 0, 80},  // hybrid FB 20 ms, code 0, 32 kbps
		{40, frameSpeech, 15<<3 | 1, 160}, // two 20 ms hybrid frames, code 1
		{60, frameSpeech, 15<<3 | 3, 240}, // three, code 3
		{20, frameSilence, 9 << 3, 15},    // SILK WB 20 ms
		{40, frameDTX, 10 << 3, 30},       // SILK WB 40 ms
		{60, frameSilence, 11 << 3, 45},   // SILK WB 60 ms
	}
	for _, c := range cases {
		g := guideFrames{frameMs: c.frameMs, bitrateKbps: 32}
		pkt := opusPacket(c.frameMs, c.kind, g.payloadBytes(c.kind))
		if pkt[0] != c.toc {
			t.Errorf("%d ms kind %d: TOC %#x, want %#x", c.frameMs, c.kind, pkt[0], c.toc)
		}
		if got := opusFrameMs(pkt); got != float64(c.frameMs) {
			t.Errorf("%d ms kind %d: packet lasts %v ms", c.frameMs, c.kind, got)
		}
		if d := len(pkt) - c.bytesNear; d < -2 || d > 2 {
			t.Errorf("%d ms kind %d: %d bytes, want ≈%d", c.frameMs, c.kind, len(pkt), c.bytesNear)
		}
		if c.toc&3 == 1 && (len(pkt)-1)%2 != 0 {
			t.Errorf("code 1 packet with unequal frames: %d bytes", len(pkt))
		}
		if c.toc&3 == 3 && (pkt[1] != 3 || (len(pkt)-2)%3 != 0) {
			t.Errorf("code 3 packet: count byte %#x, %d bytes", pkt[1], len(pkt))
		}
	}
}

type parsedRED struct {
	pts       []byte
	tsOffsets []uint32
	blocks    [][]byte
}

// parseRED reads an RFC 2198 payload the way LiveKit's redreceiver does.
func parseRED(t *testing.T, p []byte) parsedRED {
	var r parsedRED
	var lengths []int
	for p[0]&0x80 != 0 {
		h := binary.BigEndian.Uint32(p)
		r.pts = append(r.pts, p[0]&0x7f)
		r.tsOffsets = append(r.tsOffsets, h>>10&0x3fff)
		lengths = append(lengths, int(h&0x3ff))
		p = p[4:]
	}
	r.pts = append(r.pts, p[0])
	p = p[1:]
	for _, l := range lengths {
		r.blocks = append(r.blocks, p[:l])
		p = p[l:]
	}
	r.blocks = append(r.blocks, p)
	return r
}

func TestREDCarriesThePreviousFrame(t *testing.T) {
	for _, frameMs := range []int{20, 60} {
		pkts := packetsOver(guideFrames{frameMs: frameMs, bitrateKbps: 32, speech: 1}, true, 1000)
		first := parseRED(t, pkts[0].payload)
		if len(first.blocks) != 1 || first.pts[0] != 111 {
			t.Fatalf("first RED packet: want the primary alone with PT 111, got %+v", first)
		}
		for i := 1; i < len(pkts); i++ {
			r := parseRED(t, pkts[i].payload)
			if len(r.blocks) != 2 || r.pts[0] != 111 || r.pts[1] != 111 {
				t.Fatalf("packet %d: want one redundant block and the primary, PT 111: %+v", i, r)
			}
			if r.tsOffsets[0] != uint32(48*frameMs) {
				t.Errorf("packet %d: redundant offset %d, want %d", i, r.tsOffsets[0], 48*frameMs)
			}
			prev := parseRED(t, pkts[i-1].payload)
			if !bytes.Equal(r.blocks[0], prev.blocks[len(prev.blocks)-1]) {
				t.Errorf("packet %d: redundant block is not the previous primary", i)
			}
			if opusFrameMs(r.blocks[1]) != float64(frameMs) {
				t.Errorf("packet %d: primary is not a %d ms Opus packet", i, frameMs)
			}
		}
	}
}

func TestREDLeavesOutABlockTooFarBack(t *testing.T) {
	r := parseRED(t, redPacket(111, []byte{0x78, 1}, []redBlock{{tsOffset: 1 << 14, payload: []byte{0x78}}}))
	if len(r.blocks) != 1 {
		t.Fatalf("a 14-bit offset overflow must drop the block, got %d blocks", len(r.blocks))
	}
}

func TestDTXSendsAnUpdateEvery400msInPauses(t *testing.T) {
	for _, frameMs := range []int{20, 40, 60} {
		// speech 0: one long pause; the hangover, then updates.
		frames := guideFrames{frameMs: frameMs, bitrateKbps: 32, speech: 0, dtx: true}
		var dtxAt []int
		silence := 0
		for n := 0; n*frameMs < talkCycleMs; n++ {
			switch frames.kind(n) {
			case frameDTX:
				dtxAt = append(dtxAt, n*frameMs)
			case frameSilence:
				silence++
			case frameSpeech:
				t.Fatalf("speech 0 sent speech")
			}
		}
		if hang := silence * frameMs; hang < dtxHangoverMs || hang > dtxHangoverMs+frameMs {
			t.Errorf("frameMs %d: %d ms of hangover, want ≈200", frameMs, hang)
		}
		if len(dtxAt) != (talkCycleMs-dtxHangoverMs+dtxUpdateMs-1)/dtxUpdateMs {
			t.Errorf("frameMs %d: %d updates in %d ms: %v", frameMs, len(dtxAt), talkCycleMs, dtxAt)
		}
		for i := 1; i < len(dtxAt); i++ {
			if gap := dtxAt[i] - dtxAt[i-1]; gap < dtxUpdateMs-frameMs || gap > dtxUpdateMs+frameMs {
				t.Errorf("frameMs %d: %d ms between updates", frameMs, gap)
			}
		}
		// Without DTX every slot carries a frame.
		frames.dtx = false
		if pkts := packetsOver(frames, false, 60_000); len(pkts) != 60_000/frameMs {
			t.Errorf("frameMs %d without DTX: %d packets a minute", frameMs, len(pkts))
		}
	}
}

func TestTalkSpurtsFollowTheSpeechShare(t *testing.T) {
	frames := guideFrames{frameMs: 20, bitrateKbps: 32, speech: 0.75, dtx: true, phaseMs: 1234}
	pkts := packetsOver(frames, false, 60_000)
	speech, markers := 0, 0
	for _, p := range pkts {
		if p.audioLevel&audioLevelVAD != 0 {
			speech++
		}
		if p.marker {
			markers++
		}
	}
	if speech != 2250 {
		t.Errorf("%d voiced packets a minute at speech 0.75, want 2250", speech)
	}
	if markers != 15 {
		t.Errorf("%d talk spurts a minute, want one per 4 s cycle (15)", markers)
	}
}

type capturedWrite struct{ packets [][]byte }

func (c *capturedWrite) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	raw, err := (&rtp.Packet{Header: *h, Payload: payload}).Marshal()
	c.packets = append(c.packets, raw)
	return len(raw), err
}
func (c *capturedWrite) Write(b []byte) (int, error) { return len(b), nil }

func TestAudioLevelExtensionBytes(t *testing.T) {
	w := &capturedWrite{}
	track := newGuideTrack("g", false)
	b := &guideBinding{writer: w, ssrc: 0x01020304, pt: 111, opusPT: 111, levelExt: 1}
	speech := guidePacket{sequence: 7, timestamp: 960, marker: true, audioLevel: audioLevel(frameSpeech, 60), payload: []byte{0x78, 0}}
	silent := guidePacket{sequence: 8, timestamp: 1920, audioLevel: audioLevel(frameSilence, 80), payload: []byte{0x48}}
	for _, p := range []guidePacket{speech, silent} {
		if _, err := track.write(b, p); err != nil {
			t.Fatal(err)
		}
	}
	// RFC 8285 one-byte header: 0xBEDE, length 1 word, then ID 1 | len-1 = 0, the level byte, padding.
	for i, want := range []byte{speech.audioLevel, silent.audioLevel} {
		raw := w.packets[i]
		if raw[0] != 0x90 || raw[1]&0x7f != 111 {
			t.Fatalf("packet %d: header %x: want version 2 with extension, PT 111", i, raw[:2])
		}
		if ext := raw[12:20]; !bytes.Equal(ext, []byte{0xbe, 0xde, 0, 1, 0x10, want, 0, 0}) {
			t.Errorf("packet %d: extension %x", i, ext)
		}
	}
	if l := speech.audioLevel; l&audioLevelVAD == 0 || l&0x7f < speechPeakLoudest || l&0x7f > speechFloor {
		t.Errorf("speech level byte %#x: want V set and -10..-34 dBov", l)
	}
	if l := silent.audioLevel; l&audioLevelVAD != 0 || l&0x7f < 80 {
		t.Errorf("pause level byte %#x: want V clear and quiet", l)
	}
}

func TestBadLinesNameTheField(t *testing.T) {
	for line, field := range map[string]string{
		`{"id":"g","url":"ws://x","token":"t","frameMs":30}`:       "frameMs",
		`{"id":"g","url":"ws://x","token":"t","bitrateKbps":2}`:    "bitrateKbps",
		`{"id":"g","url":"ws://x","token":"t","speech":1.5}`:       "speech",
		`{"id":"g","url":"ws://x"}`:                                "token",
		`{"id":"g","url":"ws://x","token":"t","frameMs":"twenty"}`: "frameMs",
		`not json`: "JSON",
	} {
		if _, err := parseGuideLine([]byte(line)); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %v does not name %s", line, err, field)
		}
	}
	s, err := parseGuideLine([]byte(`{"id":"g","url":"ws://x","token":"t","frameMs":60,"red":true,"dtx":true,"bitrateKbps":24,"speech":0.5}`))
	if err != nil || s.frames.frameMs != 60 || !s.red || !s.frames.dtx || s.frames.bitrateKbps != 24 || s.frames.speech != 0.5 {
		t.Errorf("a good line: %+v %v", s, err)
	}
}
