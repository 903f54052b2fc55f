package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Rotating the keys without signing anyone out, on several servers that
// share the key file (docs/OPERATIONS.md#rotating-the-keys). Each step is
// a new key file, copied to every server and taken up by a rolling
// restart; at every moment of it, every server accepts what any other
// server made:
//
//  1. Stage: a new set is added to "accepted". Servers still use the old
//     set, and once restarted also accept the new one.
//  2. Promote: the new set is put in use and the old one moves to
//     "accepted". A restarted server makes cookies, codes and sealed
//     messages with the new set, which the servers not yet restarted
//     accept since step 1; it still accepts the old set's.
//  3. Retire, once everything made with the old set has expired (the
//     longest of a session's, a code's and an undelivered message's
//     lifetime: a day is ample): the old set is dropped.

// ErrRotation is wrapped by a rotation step that doesn't follow from the
// file's state (a second stage, a promote with nothing staged).
var ErrRotation = errors.New("keys: rotation step out of order")

// Stage adds a new set of keys to Accepted. There may be no rotation
// under way: promote or retire first.
func (k *Keys) Stage() error {
	if len(k.Accepted) > 0 {
		return fmt.Errorf("%w: the file already accepts another set (a rotation is under way): promote it or retire it first", ErrRotation)
	}
	s, err := newSet()
	if err != nil {
		return err
	}
	k.Accepted = []Set{s}
	return nil
}

// Promote puts the staged set in use and moves the set in use to
// Accepted.
func (k *Keys) Promote() error {
	if len(k.Accepted) != 1 {
		return fmt.Errorf("%w: there must be exactly one staged set to promote, not %d: stage one first", ErrRotation, len(k.Accepted))
	}
	k.Set, k.Accepted[0] = k.Accepted[0], k.Set
	return nil
}

// Retire drops every accepted set: what was made with them stops being
// accepted.
func (k *Keys) Retire() error {
	if len(k.Accepted) == 0 {
		return fmt.Errorf("%w: there is no accepted set to retire", ErrRotation)
	}
	k.Accepted = nil
	return nil
}

// Rewrite applies step to the key file at path and writes the result in
// its place, whole or not at all, with mode 0600.
func Rewrite(path string, step func(*Keys) error) (*Keys, error) {
	k, err := Load(path)
	if err != nil {
		return nil, err
	}
	if err := step(k); err != nil {
		return nil, err
	}
	b, err := k.Encode()
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, b)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	syncDir(dir)
	return k, nil
}

// writeTemp writes b to a new file of mode 0600 in dir, synced, and
// returns its name.
func writeTemp(dir string, b []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, ".keys-*.tmp") // mode 0600
	if err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(b)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("keys: %w", err)
	}
	return tmp.Name(), nil
}
