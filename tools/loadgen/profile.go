package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

// profileOnSignal writes a 15-second CPU profile to path when the process
// gets SIGUSR1: the steady state of a crowd, not its joins, for
// `go tool pprof`.
func profileOnSignal(path string) {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		<-usr1
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: LOADGEN_CPUPROFILE: %v\n", err)
			return
		}
		time.Sleep(15 * time.Second)
		pprof.StopCPUProfile()
		_ = f.Close()
	}()
}
