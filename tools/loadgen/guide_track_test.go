package main

// What the guide's track puts on the wire through a real pion peer
// connection: LiveKit's audio-level observer reads the negotiated
// ssrc-audio-level id from each packet, so it must arrive with a speech level.

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func audioPeer(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	m := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{{RTPCodecCapability: redCodec, PayloadType: 63}, {RTPCodecCapability: opusCodec, PayloadType: 111}} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: audioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

func connectPeers(t *testing.T, offerer, answerer *webrtc.PeerConnection) {
	t.Helper()
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(offerer)
	_ = offerer.SetLocalDescription(offer)
	<-gathered
	_ = answerer.SetRemoteDescription(*offerer.LocalDescription())
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(answerer)
	_ = answerer.SetLocalDescription(answer)
	<-gathered
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
}

func TestGuideTrackSendsNegotiatedAudioLevel(t *testing.T) {
	pub, sub := audioPeer(t), audioPeer(t)
	track := newGuideTrack("guide", true)
	if _, err := pub.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	received := make(chan *rtp.Packet, 1)
	levelID := make(chan uint8, 1)
	sub.OnTrack(func(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
		for _, ext := range receiver.GetParameters().HeaderExtensions {
			if ext.URI == audioLevelURI {
				levelID <- uint8(ext.ID)
			}
		}
		p, _, err := remote.ReadRTP()
		if err == nil {
			received <- p
		}
	})
	connectPeers(t, pub, sub)
	stream := newGuideStream(guideFrames{frameMs: 20, bitrateKbps: 32, speech: 1}, true, 111, 1, 1)
	deadline := time.After(10 * time.Second)
	for {
		if b := track.binding(); b != nil {
			pkt, _ := stream.next()
			if _, err := track.write(b, pkt); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case p := <-received:
			var id uint8
			select {
			case id = <-levelID:
			default:
				t.Fatal("the receiving peer did not negotiate ssrc-audio-level")
			}
			level := rtp.AudioLevelExtension{}
			if err := level.Unmarshal(p.GetExtension(id)); err != nil {
				t.Fatalf("packet has no audio level under negotiated id %d: %v (extensions %v)", id, err, p.Extensions)
			}
			if !level.Voice || level.Level < speechPeakLoudest || level.Level > speechFloor {
				t.Fatalf("speech level %+v, want voice at 10..34 -dBov", level)
			}
			return
		case <-deadline:
			t.Fatal("no packet reached the receiving peer in 10 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
