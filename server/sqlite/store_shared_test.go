package sqlite_test

import (
	"testing"

	"github.com/sspr-portal/sspr/server/internal/storetest"
	"github.com/sspr-portal/sspr/server/sqlite"
)

// The behaviour every Store backend shares (the PostgreSQL store runs the
// same table).
func TestStoreBehaviour(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return sqlite.NewStore(MustOpen(t)) })
}
