package main

// guideStream turns frame slots into RTP packets: sequence numbers count sent
// packets, timestamps advance 48 kHz × frame per slot whether or not it was
// sent (a DTX gap leaves a timestamp jump, as libwebrtc's does), the marker
// bit flags the first packet of a talk spurt (RFC 3551 §4.1), and with RED
// each packet carries the previous sent frame again.

type guidePacket struct {
	sequence   uint16
	timestamp  uint32
	marker     bool
	audioLevel byte // the ssrc-audio-level extension's one byte
	payload    []byte
}

type guideStream struct {
	frames    guideFrames
	red       bool
	opusPT    byte // the block PT inside RED payloads: the negotiated Opus PT
	slot      int
	sequence  uint16
	timestamp uint32
	lastSent  int // the slot of the previous sent packet, -1 before the first
	previous  redBlock
	lastKind  frameKind
}

func newGuideStream(frames guideFrames, red bool, opusPT byte, firstSeq uint16, firstTs uint32) *guideStream {
	return &guideStream{frames: frames, red: red, opusPT: opusPT, sequence: firstSeq, timestamp: firstTs, lastSent: -1, lastKind: frameSpeech}
}

// next advances one frame slot; ok is false when nothing is sent in it.
func (s *guideStream) next() (pkt guidePacket, ok bool) {
	n := s.slot
	ts := s.timestamp
	s.slot++
	s.timestamp += uint32(opusClockRate * s.frames.frameMs / 1000)
	kind := s.frames.kind(n)
	if kind == frameNone {
		s.lastKind = kind
		return guidePacket{}, false
	}
	opus := opusPacket(s.frames.frameMs, kind, s.frames.payloadBytes(kind))
	pkt = guidePacket{
		sequence:   s.sequence,
		timestamp:  ts,
		marker:     kind == frameSpeech && s.lastKind != frameSpeech,
		audioLevel: audioLevel(kind, n*s.frames.frameMs),
		payload:    opus,
	}
	s.sequence++
	s.lastKind = kind
	if s.red {
		var redundant []redBlock
		if s.lastSent >= 0 && redRedundancy > 0 {
			gap := uint32((n - s.lastSent) * opusClockRate * s.frames.frameMs / 1000)
			redundant = []redBlock{{tsOffset: gap, payload: s.previous.payload}}
		}
		pkt.payload = redPacket(s.opusPT, opus, redundant)
		s.previous = redBlock{payload: opus}
	}
	s.lastSent = n
	return pkt, true
}
