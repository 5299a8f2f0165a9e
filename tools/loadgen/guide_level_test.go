package main

// What LiveKit makes of a guide's ssrc-audio-level bytes. LiveKit names a
// participant an active speaker to a listener only in a speaker update, and
// sends one only when the speaker's level changes once quantised to eighths;
// a level that holds still is announced once, before any listener is there.

import (
	"math"
	"testing"
)

// speakerLevels models livekit-server v1.13.5 with its default audio config
// (pkg/sfu/audio AudioLevel, rtc.Room.GetActiveSpeakers): per 400 ms window,
// the loudest level among frames at the active level (35) or louder, weighted
// by the share of the window they cover if that is at least 40 %, as linear
// amplitude, smoothed over two windows (EMA, factor 2/3), quantised up to
// eighths. It returns the quantised level of each window (0: not speaking).
func speakerLevels(levels []byte, frameMs int) []float64 {
	const activeLevel, minPercentile, intervalMs, smoothFactor, quantization = 35, 40, 400, 2.0 / 3, 8
	var out []float64
	smoothed := 0.0
	loudest, activeMs, observedMs := 127, 0, 0
	for _, b := range levels {
		level := int(b & 0x7f)
		observedMs += frameMs
		if level <= activeLevel {
			activeMs += frameMs
			loudest = min(loudest, level)
		}
		if observedMs < intervalMs {
			continue
		}
		next := 0.0
		if activeMs >= minPercentile*intervalMs/100 {
			adjusted := float64(loudest) - 20*math.Log10(float64(activeMs)/intervalMs)
			next = smoothed + (math.Pow(10, -adjusted/20)-smoothed)*smoothFactor
		}
		smoothed = next
		out = append(out, math.Ceil(smoothed*quantization)/quantization)
		loudest, activeMs, observedMs = 127, 0, 0
	}
	return out
}

func levelsOver(frames guideFrames, durationMs int) []byte {
	var out []byte
	for _, p := range packetsOver(frames, false, durationMs) {
		out = append(out, p.audioLevel)
	}
	return out
}

func TestTalkingGuideKeepsLiveKitsSpeakerUpdatesComing(t *testing.T) {
	for _, frameMs := range []int{20, 40, 60} {
		windows := speakerLevels(levelsOver(guideFrames{frameMs: frameMs, bitrateKbps: 32, speech: 1}, 600_000), frameMs)
		changes, still, longestStill := 0, 0, 0
		for i, level := range windows {
			if level == 0 {
				t.Fatalf("frameMs %d: window %d not speaking under continuous speech", frameMs, i)
			}
			if i > 0 && level != windows[i-1] {
				changes, still = changes+1, 0
			} else {
				still++
				longestStill = max(longestStill, still)
			}
		}
		// Each change is a speaker update naming the guide to every listener
		// subscribed by then: about every other window, as a voice's, and a
		// listener who joins waits seconds at most.
		if changes < len(windows)/3 {
			t.Errorf("frameMs %d: the quantised level changed in %d of %d windows (%v...)", frameMs, changes, len(windows), windows[:10])
		}
		if longestStill > 16 {
			t.Errorf("frameMs %d: the quantised level held for %d windows of 400 ms", frameMs, longestStill)
		}
	}
}

func TestSilentGuideIsNeverASpeaker(t *testing.T) {
	for _, dtx := range []bool{false, true} {
		frames := guideFrames{frameMs: 20, bitrateKbps: 32, speech: 0, dtx: dtx}
		for i, level := range speakerLevels(levelsOver(frames, 20_000), 20) {
			if level != 0 {
				t.Fatalf("dtx %v: window %d speaking at %v in a pause", dtx, i, level)
			}
		}
	}
}
