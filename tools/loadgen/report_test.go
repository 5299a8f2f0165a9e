package main

import "testing"

func TestSilentCountsOnlySubscribedListenersWithoutPackets(t *testing.T) {
	tot := newTotals()
	heard, quiet, joining := tot.listener("heard"), tot.listener("quiet"), tot.listener("joining")
	heard.subscribed.Store(true)
	quiet.subscribed.Store(true)
	_ = joining // connected, nothing subscribed yet: not silent
	tot.packet(heard, 100)
	if r := tot.snapshot(); r.Silent != 1 || r.Packets != 1 || r.Bytes != 100 {
		t.Fatalf("first second %+v, want 1 silent, 1 packet, 100 bytes", r)
	}
	if r := tot.snapshot(); r.Silent != 2 {
		t.Fatalf("second second %+v, want both subscribed listeners silent", r)
	}
	tot.forget("quiet")
	if r := tot.snapshot(); r.Silent != 1 {
		t.Fatalf("after forgetting one %+v, want 1 silent", r)
	}
}

func TestTokensAreRedacted(t *testing.T) {
	msg := "invalid token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.QVjHExOYVPtkOam7Y6Xix0PfWtIK2YHQo-R7HB0bXjc, error: signature is invalid"
	if got := jwtLike.ReplaceAllString(msg, "[token]"); got != "invalid token: [token], error: signature is invalid" {
		t.Fatalf("redacted to %q", got)
	}
}
