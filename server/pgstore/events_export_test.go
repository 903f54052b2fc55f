package pgstore

// EventCommits is how many commits the store's audit writer has made.
func EventCommits(s *Store) int64 { return s.events.Commits() }

// EventsWaiting is how many events wait for the audit writer's next
// round: for tests that need several events in one batch.
func EventsWaiting(s *Store) int { return s.events.Waiting() }
