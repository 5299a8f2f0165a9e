package main

// The guide's packetiser: what a phone's LiveKit SDK (libwebrtc's Opus
// encoder, optionally wrapped in RED) puts on the wire for one microphone, as
// pure functions of the frame index, so the cadence, sizes and layouts are
// unit-tested without a network.
//
// The Opus payloads carry a valid TOC byte (RFC 6716 §3.1) for the frame
// duration and mode libopus would pick at the requested bitrate, and have the
// size that bitrate gives; the bytes after the TOC are filler and do not
// decode to speech. LiveKit never decodes Opus (it forwards, reads the RTP
// header extensions, and only splits RED blocks), so the load on the server
// is the same; a subscriber that decodes hears packet-loss concealment.

import "math"

const (
	opusClockRate = 48000
	// libopus DTX: after NB_SPEECH_FRAMES_BEFORE_DTX (10 × 20 ms = 200 ms) of
	// silence the encoder stops sending, except one comfort-noise update every
	// MAX_CONSECUTIVE_DTX (20 × 20 ms = 400 ms) (silk/define.h).
	dtxHangoverMs = 200
	dtxUpdateMs   = 400
	// A silent (or comfort-noise) SILK frame costs about 6 kbps; the payload
	// of a silence frame when DTX is off, and of a DTX update.
	silenceBitsPerSecond = 6000
	// libwebrtc's AudioEncoderCopyRed sends one redundant encoding by default
	// (kRedNumberOfRedundantEncodings = 1), the previous frame; the RED
	// timestamp offset field has 14 bits.
	redRedundancy   = 1
	redMaxTsOffset  = 1<<14 - 1
	redMaxBlockSize = 1<<10 - 1
	// The speech/pause cycle of a guide: talks speech × cycle, then pauses.
	talkCycleMs = 4000
	// ssrc-audio-level (RFC 6464): -dBov 0..127 and the voice-activity bit.
	audioLevelVAD    = 0x80
	audioLevelSilent = 127
	// Speech levels in -dBov: each syllable's peak, and the floor between
	// syllables (louder than LiveKit's default active level, 35).
	syllableMs         = 250
	speechPeakLoudest  = 8
	speechPeakQuietest = 28
	speechFloor        = 34
)

// frameKind is what the encoder emits for one frame slot.
type frameKind int

const (
	frameSpeech  frameKind = iota // a voiced frame at the full bitrate
	frameSilence                  // a silence frame (DTX off, or DTX hangover)
	frameDTX                      // a DTX comfort-noise update
	frameNone                     // nothing is sent (DTX gap)
)

// guideFrames decides, per frame slot, what a guide sends.
type guideFrames struct {
	frameMs     int
	bitrateKbps int
	speech      float64 // share of each talk cycle spent talking
	dtx         bool
	phaseMs     int // where in the talk cycle frame 0 falls, so guides do not pause in step
}

// kind is what the encoder sends in frame slot n.
func (g guideFrames) kind(n int) frameKind {
	talkMs := int(math.Round(g.speech * talkCycleMs))
	at := (g.phaseMs + n*g.frameMs) % talkCycleMs
	if at < talkMs {
		return frameSpeech
	}
	if !g.dtx {
		return frameSilence
	}
	inPause := at - talkMs
	if inPause < dtxHangoverMs {
		return frameSilence
	}
	// One update per dtxUpdateMs, on the first frame slot of each period.
	sinceDTX := inPause - dtxHangoverMs
	if sinceDTX%dtxUpdateMs < g.frameMs {
		return frameDTX
	}
	return frameNone
}

// payloadBytes is the Opus payload size for a frame of that kind.
func (g guideFrames) payloadBytes(k frameKind) int {
	switch k {
	case frameSpeech:
		return g.bitrateKbps * g.frameMs / 8
	case frameSilence, frameDTX:
		return silenceBitsPerSecond * g.frameMs / 8000
	}
	return 0
}

// opusPacket builds an Opus packet of about size bytes for one frame.
//
// Speech at these bitrates is what libopus codes as hybrid (SILK + CELT)
// fullband, whose frames are 10 or 20 ms: a 40 or 60 ms frame is two or three
// 20 ms frames in one packet (code 1: two equal frames; code 3: a frame-count
// byte, here constant bitrate, RFC 6716 §3.2). Silence and comfort noise go
// SILK-only wideband, which codes 20, 40 and 60 ms frames natively (code 0).
func opusPacket(frameMs int, k frameKind, size int) []byte {
	var toc byte
	var head []byte
	if k == frameSpeech {
		const hybridFullband20ms = 15
		toc = hybridFullband20ms << 3
		switch frameMs / 20 {
		case 2:
			toc |= 1
			size = 1 + (size-1)/2*2
		case 3:
			toc |= 3
			head = []byte{3}
			size = 2 + (size-2)/3*3
		}
	} else {
		// SILK-only wideband: configs 9, 10, 11 are 20, 40, 60 ms.
		toc = byte(8+frameMs/20) << 3
	}
	if size < 1+len(head) {
		size = 1 + len(head)
	}
	pkt := make([]byte, size)
	pkt[0] = toc
	copy(pkt[1:], head)
	return pkt
}

// opusFrameMs reads the duration of an Opus packet from its TOC (and
// frame-count byte): what a receiver would count.
func opusFrameMs(pkt []byte) float64 {
	config := pkt[0] >> 3
	var perFrame float64
	switch {
	case config < 12: // SILK: 10, 20, 40, 60
		perFrame = []float64{10, 20, 40, 60}[config%4]
	case config < 16: // hybrid: 10, 20
		perFrame = []float64{10, 20}[config%2]
	default: // CELT: 2.5, 5, 10, 20
		perFrame = []float64{2.5, 5, 10, 20}[config%4]
	}
	switch pkt[0] & 3 {
	case 0:
		return perFrame
	case 1, 2:
		return 2 * perFrame
	}
	return float64(pkt[1]&0x3f) * perFrame
}

// audioLevel is the ssrc-audio-level byte a phone's VAD and level meter
// would write for the frame that starts atMs into the stream: V set and
// syllables at 4 a second in speech, quiet background without V in pauses.
//
// Each syllable peaks at its own level, -8 to -28 dBov (stressed and
// unstressed), and falls to -34 between syllables, so every speech frame
// stays louder than LiveKit's active level (-35) while the loudest level of
// each of LiveKit's 400 ms observation windows moves. LiveKit sends speaker
// updates only when a speaker's level, quantised to eighths of full scale,
// changes (rtc.Room.audioUpdateWorker), and a listener that joins while the
// level holds still is never told (a subscription's own update is dropped
// before the listener is ready). Levels no louder than -18 dBov always
// quantise to 1/8: with speech at -20..-34 the guide was named once, to
// itself, and never to a listener.
func audioLevel(k frameKind, atMs int) byte {
	if k != frameSpeech {
		return 90 + byte(atMs/20%7)
	}
	peak := speechPeakLoudest + float64(scramble(uint32(atMs/syllableMs))%(speechPeakQuietest-speechPeakLoudest+1))
	rise := math.Sin(math.Pi * float64(atMs%syllableMs) / syllableMs)
	level := speechFloor - (speechFloor-peak)*rise*rise
	return audioLevelVAD | byte(math.Round(level))
}

// scramble is a fixed integer hash (murmur3's finaliser): the syllables'
// peaks follow no short cycle, as a voice's do not.
func scramble(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	return x ^ x>>16
}

// redBlock is one earlier encoding carried again in a RED packet.
type redBlock struct {
	tsOffset uint32
	payload  []byte
}

// redPacket builds an RFC 2198 payload: one 4-byte header per redundant block
// (F=1, block PT, 14-bit timestamp offset, 10-bit length), the 1-byte header
// of the primary (F=0, PT), then the redundant data oldest first and the
// primary last. Blocks whose offset or length does not fit are left out, as
// libwebrtc does.
func redPacket(opusPT byte, primary []byte, redundant []redBlock) []byte {
	fits := redundant[:0:0]
	for _, b := range redundant {
		if b.tsOffset <= redMaxTsOffset && len(b.payload) <= redMaxBlockSize {
			fits = append(fits, b)
		}
	}
	size := 1 + len(primary)
	for _, b := range fits {
		size += 4 + len(b.payload)
	}
	out := make([]byte, 0, size)
	for _, b := range fits {
		out = append(out, 0x80|opusPT,
			byte(b.tsOffset>>6), byte(b.tsOffset<<2)|byte(len(b.payload)>>8), byte(len(b.payload)))
	}
	out = append(out, opusPT&0x7f)
	for _, b := range fits {
		out = append(out, b.payload...)
	}
	return append(out, primary...)
}
