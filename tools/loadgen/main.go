// Command loadgen holds many LiveKit listeners in one process: the bulk of
// each tour in the capacity benchmark (bench/capacity.ts), where a WebRTC
// client per listener in Node would cost more CPU than the server under test.
//
//	loadgen [listen [--client lean|lean-polled|lean-ports|lean-addrs|sdk]]
//
// It reads one JSON object per line on stdin, {"id": "...", "url": "...",
// "token": "..."}, joins the room as that listener, receives every audio
// track, and prints one JSON line a second with the totals (report.go). When
// stdin closes, or on SIGTERM, it leaves every room and exits 0.
//
// Two clients: "sdk" (the default) joins with LiveKit's Go SDK, one full pion
// PeerConnection per listener, as LiveKit's own load tester builds its
// subscribers; "lean" (listen_lean.go) shares one UDP socket among all
// listeners and counts RTP at that socket, so one core carries a crowd;
// "lean-polled" is the lean crowd with a socket per listener in Go's poller,
// the SDK crowd's way of receiving (the capacity benchmark's cross-check);
// "lean-ports" gives each listener a port without that cost, for LiveKit's
// single-port mode; "lean-addrs" gives each an address of its own on one
// shared socket, for the same mode at the shared socket's cost.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

type joinRequest struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	Token string `json:"token"`
}

// crowd joins listeners and leaves them all at the end.
type crowd interface {
	// join connects one listener, counting it in the totals; it blocks until
	// the listener is connected or has failed, and reports failures itself.
	join(req joinRequest)
	leaveAll()
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	client := "sdk"
	reports := "none"
	if len(args) > 0 {
		switch args[0] {
		case "listen":
			flags := flag.NewFlagSet("loadgen listen", flag.ContinueOnError)
			flags.StringVar(&reports, "reports", "none", "lean clients: the RTCP reports each listener sends: none, phone (a receiver report about every 5 s, as libwebrtc for audio) or sdk (a receiver and an extended report every second, as the SDK crowd)")
			flags.StringVar(&client, "client", "sdk", "lean (one shared UDP socket, RTP counted at the socket), lean-polled (a socket per listener in Go's poller), lean-ports (a socket per listener, read without waiting), lean-addrs (one shared socket, an address per listener) or sdk (LiveKit's Go SDK)")
			if err := flags.Parse(args[1:]); err != nil {
				return 2
			}
		case "guide":
			return runGuide()
		default:
			fmt.Fprintf(os.Stderr, "loadgen: unknown subcommand %q; usage: loadgen [listen [--client lean|lean-polled|lean-ports|lean-addrs|sdk]] | loadgen guide\n", args[0])
			return 2
		}
	}
	if path := os.Getenv("LOADGEN_CPUPROFILE"); path != "" {
		profileOnSignal(path)
	}
	style, err := parseReportStyle(reports)
	if err == nil && reports != "none" && client == "sdk" {
		err = fmt.Errorf("--reports is for the lean clients; the sdk client sends its own reports")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		return 2
	}
	t := newTotals()
	var c crowd
	switch client {
	case "sdk":
		c = newSDKCrowd(t)
	case "lean", "lean-polled", "lean-ports", "lean-addrs":
		modes := map[string]socketMode{"lean": socketShared, "lean-polled": socketPolled, "lean-ports": socketPerPort, "lean-addrs": socketPerAddress}
		lean, err := newLeanCrowd(t, modes[client], style)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: could not open the lean crowd's UDP socket: %v\n", err)
			return 1
		}
		c = lean
	default:
		fmt.Fprintf(os.Stderr, "loadgen: --client must be lean, lean-polled, lean-ports, lean-addrs or sdk, not %q\n", client)
		return 2
	}
	listen(t, c)
	return 0
}

// listen joins a listener per stdin line until stdin closes or a signal
// arrives, then leaves every room.
func listen(t *totals, c crowd) {
	done := make(chan struct{})
	reported := make(chan struct{})
	go func() {
		t.reportEverySecond(os.Stdout, done)
		close(reported)
	}()
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		os.Stdin.Close()
	}()

	var wg sync.WaitGroup
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 64*1024), 64*1024)
	for scanner.Scan() {
		var req joinRequest
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil || req.URL == "" || req.Token == "" || req.ID == "" {
			fmt.Fprintf(os.Stderr, "loadgen: ignoring a line that is not {\"id\",\"url\",\"token\"}\n")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.join(req)
		}()
	}
	wg.Wait()
	c.leaveAll()
	close(done)
	<-reported
}
