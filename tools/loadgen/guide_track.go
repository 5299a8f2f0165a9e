package main

// guideTrack is a pion TrackLocal that writes the packetiser's RTP packets
// itself: it needs the negotiated payload types (RED's and the Opus one inside
// it) and the negotiated id of the audio-level extension, which pion's
// TrackLocalStaticRTP does not expose.

import (
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

const (
	mimeOpus      = "audio/opus"
	mimeRED       = "audio/red"
	audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
)

// The codecs a LiveKit client offers (livekit/protocol codecs:
// OpusCodecParameters, RedCodecParameters): RED listed first is what makes
// the server prefer it for a track that did not disable RED.
var (
	opusCodec = webrtc.RTPCodecCapability{MimeType: mimeOpus, ClockRate: opusClockRate, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}
	redCodec  = webrtc.RTPCodecCapability{MimeType: mimeRED, ClockRate: opusClockRate, Channels: 2, SDPFmtpLine: "111/111"}
)

type guideBinding struct {
	writer    webrtc.TrackLocalWriter
	ssrc      uint32
	pt        uint8 // the track's payload type: RED's or Opus's
	opusPT    uint8
	levelExt  uint8 // 0 when audio level was not negotiated
	mimeBound string
}

type guideTrack struct {
	id    string
	codec webrtc.RTPCodecCapability
	mu    sync.Mutex
	bound *guideBinding
}

func newGuideTrack(id string, red bool) *guideTrack {
	codec := opusCodec
	if red {
		codec = redCodec
	}
	return &guideTrack{id: id, codec: codec}
}

func (t *guideTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var chosen *webrtc.RTPCodecParameters
	b := &guideBinding{writer: ctx.WriteStream(), ssrc: uint32(ctx.SSRC()), opusPT: 111}
	for i, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, mimeOpus) {
			b.opusPT = uint8(c.PayloadType)
		}
		if chosen == nil && strings.EqualFold(c.MimeType, t.codec.MimeType) {
			chosen = &ctx.CodecParameters()[i]
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	b.pt = uint8(chosen.PayloadType)
	b.mimeBound = chosen.MimeType
	for _, ext := range ctx.HeaderExtensions() {
		if ext.URI == audioLevelURI {
			b.levelExt = uint8(ext.ID)
		}
	}
	t.mu.Lock()
	t.bound = b
	t.mu.Unlock()
	return *chosen, nil
}

func (t *guideTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.bound = nil
	t.mu.Unlock()
	return nil
}

func (t *guideTrack) binding() *guideBinding {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bound
}

// write sends one packet; it returns the bytes put on RTP (header,
// extension and payload).
func (t *guideTrack) write(b *guideBinding, p guidePacket) (int, error) {
	header := rtp.Header{
		Version:        2,
		PayloadType:    b.pt,
		SequenceNumber: p.sequence,
		Timestamp:      p.timestamp,
		SSRC:           b.ssrc,
		Marker:         p.marker,
	}
	if b.levelExt != 0 {
		if err := header.SetExtension(b.levelExt, []byte{p.audioLevel}); err != nil {
			return 0, err
		}
	}
	if _, err := b.writer.WriteRTP(&header, p.payload); err != nil {
		return 0, err
	}
	return header.MarshalSize() + len(p.payload), nil
}

func (t *guideTrack) ID() string                       { return t.id }
func (t *guideTrack) RID() string                      { return "" }
func (t *guideTrack) StreamID() string                 { return t.id }
func (t *guideTrack) Kind() webrtc.RTPCodecType        { return webrtc.RTPCodecTypeAudio }
func (t *guideTrack) Codec() webrtc.RTPCodecCapability { return t.codec }
