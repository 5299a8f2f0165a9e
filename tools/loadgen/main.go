// Command loadgen holds many LiveKit listeners in one process: the bulk of
// each tour in the capacity benchmark (bench/capacity.ts), where a WebRTC
// client per listener in Node would cost more CPU than the server under test.
//
// It reads one JSON object per line on stdin, {"id": "...", "url": "...",
// "token": "..."}, joins the room as that listener with auto-subscribe, reads
// and discards every RTP packet it is sent, and prints one JSON line a second
// with the totals and how many connected listeners received nothing in that
// second. When stdin closes, or on SIGTERM, it leaves every room and exits.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

type joinRequest struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	Token string `json:"token"`
}

type listener struct {
	packets atomic.Int64
	last    int64
}

type report struct {
	Connected  int64 `json:"connected"`
	Failed     int64 `json:"failed"`
	Subscribed int64 `json:"subscribed"`
	Packets    int64 `json:"packets"`
	Bytes      int64 `json:"bytes"`
	// Connected and subscribed listeners that got no packet in the last second.
	Silent int `json:"silent"`
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "guide":
			os.Exit(runGuide())
		}
	}
	var (
		mu         sync.Mutex
		rooms      []*lksdk.Room
		listeners  = map[string]*listener{}
		connected  atomic.Int64
		failed     atomic.Int64
		subscribed atomic.Int64
		packets    atomic.Int64
		bytes      atomic.Int64
		wg         sync.WaitGroup
	)

	done := make(chan struct{})
	go func() {
		ticker := time.NewTicker(time.Second)
		defer ticker.Stop()
		out := json.NewEncoder(os.Stdout)
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				silent := 0
				mu.Lock()
				for _, l := range listeners {
					now := l.packets.Load()
					if now == l.last {
						silent++
					}
					l.last = now
				}
				mu.Unlock()
				_ = out.Encode(report{connected.Load(), failed.Load(), subscribed.Load(), packets.Load(), bytes.Load(), silent})
			}
		}
	}()

	join := func(req joinRequest) {
		defer wg.Done()
		l := &listener{}
		cb := lksdk.NewRoomCallback()
		cb.ParticipantCallback.OnTrackSubscribed = func(track *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
			subscribed.Add(1)
			mu.Lock()
			listeners[req.ID] = l
			mu.Unlock()
			go func() {
				buf := make([]byte, 1600)
				for {
					n, _, err := track.Read(buf)
					if err != nil {
						return
					}
					l.packets.Add(1)
					packets.Add(1)
					bytes.Add(int64(n))
				}
			}()
		}
		room, err := lksdk.ConnectToRoomWithToken(req.URL, req.Token, cb, lksdk.WithAutoSubscribe(true))
		if err != nil {
			failed.Add(1)
			fmt.Fprintf(os.Stderr, "loadgen: %s could not join: %v\n", req.ID, err)
			return
		}
		connected.Add(1)
		mu.Lock()
		rooms = append(rooms, room)
		mu.Unlock()
	}

	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		os.Stdin.Close()
	}()

	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 64*1024), 64*1024)
	for scanner.Scan() {
		var req joinRequest
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil || req.URL == "" || req.Token == "" || req.ID == "" {
			fmt.Fprintf(os.Stderr, "loadgen: ignoring a line that is not {\"id\",\"url\",\"token\"}\n")
			continue
		}
		wg.Add(1)
		go join(req)
	}
	wg.Wait()
	mu.Lock()
	for _, r := range rooms {
		r.Disconnect()
	}
	mu.Unlock()
	close(done)
}
