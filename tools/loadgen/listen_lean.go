package main

import (
	"net/netip"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// leanCrowd holds every listener on one UDP socket: pion's ICE UDP mux
// shares it among the PeerConnections, and the socket counts the media
// itself (listen_lean_socket.go). No interceptors (no NACKs, TWCC or
// reports are sent: LiveKit does not need them to keep sending audio), no
// SRTP decryption, no track reading, no decoding. Signalling is a minimal
// client of LiveKit's protocol (listen_lean_signal.go): the Go SDK builds
// its own pion API and cannot be given this one.
//
// With polled sockets ("lean-polled") each listener has a UDP socket of its
// own, read by a goroutine parked in Go's network poller, as each of the
// SDK crowd's PeerConnections has. With ports ("lean-ports") each listener
// has a port of its own that no one waits on (listen_lean_ports.go), which
// LiveKit's single-port mode needs. Everything else is the same, so the
// lean crowds differ only in how the kernel hands them their datagrams.
type leanCrowd struct {
	t      *totals
	mode   socketMode
	shared *leanTransport // socketShared only
	ports  *portReader    // socketPerPort only
	addrs  *addrReader    // socketPerAddress only

	// reports: what each listener sends LiveKit about its audio (listen_lean_reports.go).
	reports reportStyle

	mu        sync.Mutex
	listeners map[*leanListener]struct{}
}

// leanTransport is a UDP socket with the pion API whose PeerConnections use it.
type leanTransport struct {
	api    *webrtc.API
	socket *countingSocket
	mux    *ice.UDPMuxDefault
}

type socketMode int

const (
	socketShared     socketMode = iota // lean: one socket for every listener
	socketPolled                       // lean-polled: a socket per listener in Go's poller
	socketPerPort                      // lean-ports: a socket per listener, read without waiting
	socketPerAddress                   // lean-addrs: one socket, an address per listener
)

// newLeanCrowd opens what the mode shares on loopback, where the benchmark's
// LiveKit listens (its node_ip is 127.0.0.1).
func newLeanCrowd(t *totals, mode socketMode, reports reportStyle) (*leanCrowd, error) {
	c := &leanCrowd{t: t, mode: mode, reports: reports, listeners: map[*leanListener]struct{}{}}
	switch mode {
	case socketPolled:
		return c, nil
	case socketPerPort:
		ports, err := newPortReader()
		if err != nil {
			return nil, err
		}
		c.ports = ports
		return c, nil
	case socketPerAddress:
		addrs, err := newAddrReader()
		if err != nil {
			return nil, err
		}
		c.addrs = addrs
		return c, nil
	}
	raw, err := listenRawUDP(loopback)
	if err != nil {
		return nil, err
	}
	shared, err := newLeanTransport(t, raw)
	if err != nil {
		_ = raw.close()
		return nil, err
	}
	c.shared = shared
	return c, nil
}

var loopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// transport gives a joining listener the shared transport, or a socket of
// its own (own: the listener closes it when it leaves).
func (c *leanCrowd) transport() (tr *leanTransport, own bool, err error) {
	switch c.mode {
	case socketShared:
		return c.shared, false, nil
	case socketPolled:
		conn, err := listenPolledUDP(loopback)
		if err != nil {
			return nil, false, err
		}
		if tr, err = newLeanTransport(c.t, conn); err != nil {
			_ = conn.close()
			return nil, false, err
		}
		return tr, true, nil
	case socketPerAddress:
		return c.addressTransport()
	}
	port, err := c.ports.open(loopback)
	if err != nil {
		return nil, false, err
	}
	if tr, err = newLeanTransport(c.t, port); err == nil {
		err = port.start(tr.socket)
	}
	if err != nil {
		_ = port.close()
		return nil, false, err
	}
	return tr, true, nil
}

// addressTransport gives a joining listener an address of its own on the
// crowd's shared socket (listen_lean_addrs.go).
func (c *leanCrowd) addressTransport() (*leanTransport, bool, error) {
	addr, err := c.addrs.open()
	if err != nil {
		return nil, false, err
	}
	tr, err := newLeanTransport(c.t, addr)
	if err == nil {
		err = addr.start(tr.socket)
	}
	if err != nil {
		_ = addr.close()
		return nil, false, err
	}
	return tr, true, nil
}

func newLeanTransport(t *totals, conn datagramConn) (*leanTransport, error) {
	// pion's own log lines off, the UDP mux's too: stderr carries one line per
	// listener that could not join (report.go), and a listener's ICE agent or
	// report loop may still write on its closed connection while it leaves
	// ("read/write on closed pipe"), which is no failure. Joins, silence and
	// loss are counted. (PION_LOG_<LEVEL>=<scopes> still turns scopes on when
	// debugging.)
	logs := logging.NewDefaultLoggerFactory()
	logs.DefaultLogLevel = logging.LogLevelDisabled
	socket := newCountingSocket(conn, t)
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: socket, Logger: logs.NewLogger("ice")})

	se := webrtc.SettingEngine{}
	se.LoggerFactory = logs
	se.SetICEUDPMux(mux)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)

	media, err := phoneAudioCodecs()
	if err != nil {
		return nil, err
	}
	// An empty registry, given explicitly: without one, NewAPI registers
	// pion's defaults (NACK, RTCP reports, TWCC), which a CPU profile showed
	// sending receiver reports.
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(media),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
	return &leanTransport{api: api, socket: socket, mux: mux}, nil
}

func (tr *leanTransport) close() {
	_ = tr.mux.Close()
	_ = tr.socket.Close()
}

// phoneAudioCodecs accepts what a phone's browser accepts for a guide's
// track: Opus, and RED over Opus (the guide publishes with RED by default),
// with the audio-level header extension so packets are a phone's size.
func phoneAudioCodecs() (*webrtc.MediaEngine, error) {
	m := &webrtc.MediaEngine{}
	codecs := []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/red", ClockRate: 48000, Channels: 2, SDPFmtpLine: "111/111"}, PayloadType: 63},
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	ext := webrtc.RTPHeaderExtensionCapability{URI: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"}
	if err := m.RegisterHeaderExtension(ext, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	return m, nil
}

func (c *leanCrowd) join(req joinRequest) {
	l := &leanListener{id: req.ID, crowd: c, count: c.t.listener(req.ID), connected: make(chan struct{}), done: make(chan struct{})}
	tr, own, err := c.transport()
	if err == nil {
		l.transport, l.ownTransport = tr, own
		err = l.join(req.URL, req.Token)
	}
	if err != nil {
		l.close()
		c.t.failed.Add(1)
		c.t.forget(req.ID)
		failure(req.ID, err)
		return
	}
	c.mu.Lock()
	c.listeners[l] = struct{}{}
	c.mu.Unlock()
	c.t.connected.Add(1)
}

// leaveAll sends every listener's leave, a few hundred at a time so a large
// crowd leaves in seconds without a burst of thousands of goroutines.
func (c *leanCrowd) leaveAll() {
	c.mu.Lock()
	all := c.listeners
	c.listeners = map[*leanListener]struct{}{}
	c.mu.Unlock()
	slots := make(chan struct{}, 256)
	var wg sync.WaitGroup
	for l := range all {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			l.leave()
		}()
	}
	wg.Wait()
	if c.shared != nil {
		c.shared.close()
	}
	if c.ports != nil {
		c.ports.close()
	}
	if c.addrs != nil {
		c.addrs.close()
	}
}
