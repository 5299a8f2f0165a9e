package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/livekit/protocol/livekit"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"google.golang.org/protobuf/proto"
)

// signalProtocol is the LiveKit signal protocol version the Go SDK v2.19
// speaks; this client does what that SDK does for a subscriber-only
// participant: join over /rtc, answer the server's subscriber offers, trickle
// candidates both ways, leave. LiveKit keeps the connection alive with
// websocket pings, which gorilla answers while the read loop runs.
const signalProtocol = 17

// leanListener is one listener: its signal connection and its subscriber
// PeerConnection, whose media the crowd's socket counts.
type leanListener struct {
	id    string
	crowd *leanCrowd
	count *listenerCount

	transport    *leanTransport
	ownTransport bool // a polled socket of its own, closed on leaving

	writeMu sync.Mutex
	ws      *websocket.Conn

	mu        sync.Mutex
	pc        *webrtc.PeerConnection
	ssrcs     []uint32
	connected chan struct{}
	done      chan struct{} // closed when the listener closes: its report loop ends
	once      sync.Once
	closeOnce sync.Once
	leaving   atomic.Bool // the server's answer to our leave is no failure
}

func signalURL(base, token string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("url %q: %w", base, err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/rtc"
	q := url.Values{}
	q.Set("access_token", token)
	q.Set("auto_subscribe", "1")
	q.Set("protocol", strconv.Itoa(signalProtocol))
	q.Set("sdk", "go")
	q.Set("version", "2.19.0")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// join connects the signal, takes the JoinResponse and waits until the
// subscriber PeerConnection is connected, all within joinTimeout.
func (l *leanListener) join(base, token string) error {
	dialURL, err := signalURL(base, token)
	if err != nil {
		return err
	}
	dialer := websocket.Dialer{HandshakeTimeout: joinTimeout}
	ws, resp, err := dialer.Dial(dialURL, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("signal connection refused: %s", resp.Status)
		}
		return fmt.Errorf("signal connection: %w", err)
	}
	l.ws = ws
	deadline := time.Now().Add(joinTimeout)
	_ = ws.SetReadDeadline(deadline)
	first, err := l.read()
	if err != nil {
		return fmt.Errorf("waiting for the join response: %w", err)
	}
	if first.GetJoin() == nil {
		return fmt.Errorf("the server's first message is not a join response: %T", first.Message)
	}
	pc, err := l.transport.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.pc = pc
	l.mu.Unlock()
	pc.OnICECandidate(l.trickle)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			l.once.Do(func() { close(l.connected) })
		}
	})
	_ = ws.SetReadDeadline(time.Time{})
	go l.readLoop()
	select {
	case <-l.connected:
		if l.crowd.reports.every > 0 {
			go l.sendReports(l.crowd.reports, l.done)
		}
		return nil
	case <-time.After(time.Until(deadline)):
		return fmt.Errorf("subscriber connection not up after %s", joinTimeout)
	}
}

func (l *leanListener) read() (*livekit.SignalResponse, error) {
	kind, data, err := l.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	msg := &livekit.SignalResponse{}
	if kind == websocket.TextMessage {
		return nil, fmt.Errorf("unexpected text message %q", data)
	}
	return msg, proto.Unmarshal(data, msg)
}

func (l *leanListener) send(req *livekit.SignalRequest) error {
	data, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	_ = l.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return l.ws.WriteMessage(websocket.BinaryMessage, data)
}

func (l *leanListener) readLoop() {
	for {
		msg, err := l.read()
		if err != nil {
			return // closed: by leave(), or by the server (counted by silence)
		}
		if err := l.handle(msg); err != nil && !l.leaving.Load() {
			fmt.Fprintf(os.Stderr, "loadgen: %s: %v\n", l.id, err)
		}
	}
}

func (l *leanListener) handle(msg *livekit.SignalResponse) error {
	switch m := msg.Message.(type) {
	case *livekit.SignalResponse_Offer:
		return l.answer(m.Offer)
	case *livekit.SignalResponse_Trickle:
		if m.Trickle.Target != livekit.SignalTarget_SUBSCRIBER {
			return nil
		}
		var c webrtc.ICECandidateInit
		if err := json.Unmarshal([]byte(m.Trickle.CandidateInit), &c); err != nil {
			return fmt.Errorf("server candidate: %w", err)
		}
		return l.pc.AddICECandidate(c)
	case *livekit.SignalResponse_Leave:
		return fmt.Errorf("the server asked to leave (%s)", m.Leave.Reason)
	}
	return nil
}

// answer accepts a subscriber offer and learns its audio SSRCs, so the
// socket can tell whose packets arrive.
func (l *leanListener) answer(offer *livekit.SessionDescription) error {
	if err := l.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer.Sdp}); err != nil {
		return fmt.Errorf("subscriber offer: %w", err)
	}
	answer, err := l.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("subscriber answer: %w", err)
	}
	if err := l.pc.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("subscriber answer: %w", err)
	}
	for _, ssrc := range audioSSRCs(offer.Sdp) {
		l.mu.Lock()
		known := containsSSRC(l.ssrcs, ssrc)
		if !known {
			l.ssrcs = append(l.ssrcs, ssrc)
		}
		l.mu.Unlock()
		if !known {
			l.transport.socket.own(ssrc, l.count)
			l.crowd.t.subscribed.Add(1)
			l.count.subscribed.Store(true)
		}
	}
	return l.send(&livekit.SignalRequest{Message: &livekit.SignalRequest_Answer{Answer: &livekit.SessionDescription{
		Type: answer.Type.String(), Sdp: answer.SDP, Id: offer.Id, MidToTrackId: offer.MidToTrackId,
	}}})
}

func containsSSRC(ssrcs []uint32, ssrc uint32) bool {
	for _, s := range ssrcs {
		if s == ssrc {
			return true
		}
	}
	return false
}

// audioSSRCs lists the SSRCs the offer's sending audio sections announce.
func audioSSRCs(offer string) []uint32 {
	var desc sdp.SessionDescription
	if desc.UnmarshalString(offer) != nil {
		return nil
	}
	var out []uint32
	for _, m := range desc.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		if _, inactive := m.Attribute("inactive"); inactive {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key != "ssrc" {
				continue
			}
			id, _, _ := strings.Cut(a.Value, " ")
			if n, err := strconv.ParseUint(id, 10, 32); err == nil && !containsSSRC(out, uint32(n)) {
				out = append(out, uint32(n))
			}
		}
	}
	return out
}

func (l *leanListener) trickle(c *webrtc.ICECandidate) {
	if c == nil {
		return
	}
	init, err := json.Marshal(c.ToJSON())
	if err != nil {
		return
	}
	_ = l.send(&livekit.SignalRequest{Message: &livekit.SignalRequest_Trickle{Trickle: &livekit.TrickleRequest{
		CandidateInit: string(init), Target: livekit.SignalTarget_SUBSCRIBER,
	}}})
}

// leave tells the server, then closes both connections.
func (l *leanListener) leave() {
	l.leaving.Store(true)
	if l.ws != nil {
		_ = l.send(&livekit.SignalRequest{Message: &livekit.SignalRequest_Leave{Leave: &livekit.LeaveRequest{
			Reason: livekit.DisconnectReason_CLIENT_INITIATED,
		}}})
	}
	l.close()
}

func (l *leanListener) close() {
	l.closeOnce.Do(func() { close(l.done) })
	l.mu.Lock()
	pc, ssrcs := l.pc, l.ssrcs
	l.mu.Unlock()
	if l.transport != nil {
		l.transport.socket.disown(ssrcs)
	}
	if pc != nil {
		_ = pc.Close()
	}
	if l.ownTransport {
		l.transport.close()
	}
	if l.ws != nil {
		_ = l.ws.Close()
	}
}
