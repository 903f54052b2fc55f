package secret

import (
	"context"
	"testing"
	"time"
)

// TestConcurrencyIsBounded: with every slot taken, another hash waits, and
// gives up when its context ends, instead of piling onto the CPU.
func TestConcurrencyIsBounded(t *testing.T) {
	a := NewArgon2(Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 2)
	enc, err := a.Hash(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	a.sem <- struct{}{} // both slots taken, as by two hashes in progress
	a.sem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := a.Verify(ctx, enc, "x"); err == nil {
		t.Fatal("a third hash ran while both slots were taken")
	}
	<-a.sem // one finishes: the next hash runs
	if ok, err := a.Verify(context.Background(), enc, "x"); err != nil || !ok {
		t.Fatalf("after a slot freed: %v %v", ok, err)
	}
}

// TestOnWait: each hash tells OnWait how long it waited for a slot,
// including the time it spent behind the hashes that held them all.
func TestOnWait(t *testing.T) {
	a := NewArgon2(Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 16, SaltLen: 8}, 1)
	var waits []time.Duration
	a.OnWait = func(d time.Duration) { waits = append(waits, d) }
	a.sem <- struct{}{} // the one slot taken
	go func() {
		time.Sleep(50 * time.Millisecond)
		a.release()
	}()
	if _, err := a.Hash(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] < 40*time.Millisecond {
		t.Fatalf("waits %v, want one of about 50ms", waits)
	}
}
