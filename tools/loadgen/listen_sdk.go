package main

import (
	"sync"
	"time"

	protoLogger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

// joinTimeout bounds one listener's join, signalling and ICE together.
const joinTimeout = 20 * time.Second

// sdkCrowd joins each listener with LiveKit's Go SDK: one pion PeerConnection
// with the SDK's default interceptors, one UDP socket and one goroutine per
// track, each packet decrypted and read. It is the cross-check for the lean
// crowd: a crowd built the way LiveKit's own load tester builds subscribers.
type sdkCrowd struct {
	t     *totals
	mu    sync.Mutex
	rooms []*lksdk.Room
}

func newSDKCrowd(t *totals) *sdkCrowd {
	// The SDK logs each failed join with the token in it; failure() writes
	// the one line the contract asks for, redacted.
	lksdk.SetLogger(protoLogger.GetDiscardLogger())
	return &sdkCrowd{t: t}
}

func (c *sdkCrowd) join(req joinRequest) {
	l := c.t.listener(req.ID)
	cb := lksdk.NewRoomCallback()
	cb.ParticipantCallback.OnTrackSubscribed = func(track *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
		if track.Kind() != webrtc.RTPCodecTypeAudio {
			return
		}
		c.t.subscribed.Add(1)
		l.subscribed.Store(true)
		go c.read(track, l)
	}
	room, err := lksdk.ConnectToRoomWithToken(req.URL, req.Token, cb,
		lksdk.WithAutoSubscribe(true), lksdk.WithConnectTimeout(joinTimeout))
	if err != nil {
		c.t.failed.Add(1)
		c.t.forget(req.ID)
		failure(req.ID, err)
		return
	}
	c.t.connected.Add(1)
	c.mu.Lock()
	c.rooms = append(c.rooms, room)
	c.mu.Unlock()
}

// read takes every packet of one track until it ends, counting sequence gaps.
func (c *sdkCrowd) read(track *webrtc.TrackRemote, l *listenerCount) {
	var seq seqTracker
	buf := make([]byte, 1600)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		c.t.packet(l, n)
		if n >= rtpHeaderLen {
			if d := seq.add(rtpSequence(buf)); d != 0 {
				c.t.lost.Add(d)
			}
		}
	}
}

func (c *sdkCrowd) leaveAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range c.rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Disconnect()
		}()
	}
	wg.Wait()
	c.rooms = nil
}
