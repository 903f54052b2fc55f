package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"regexp"

	moderncsqlite "modernc.org/sqlite"
)

// stmtCacheSize is how many prepared statements each connection keeps:
// more than the store and the outbox's queue (River) run over and over,
// so that only one-off statements (an audit search's WHERE, a bulk
// import's rows) are ever evicted.
const stmtCacheSize = 128

// openDB opens a pool on the SQLite file dsn names whose connections keep
// the statements they run prepared, by their text. database/sql prepares,
// runs and finalizes a statement on every call that isn't made through a
// sql.Stmt, and SQLite's parser was an eighth of the server's CPU in a
// whole reset (flowbench): mostly River's queries, which it can't be
// asked to prepare. A statement prepared once is bound and run again, and
// SQLite prepares it afresh itself if the schema changes.
//
// lock, when not nil, is the file's write lock (writelock.go): every
// connection of a pool that writes takes it for each write.
func openDB(dsn string, lock writeLock) (*sql.DB, error) {
	c, err := moderncsqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{c, lock}), nil
}

type cachingConnector struct {
	driver.Connector
	lock writeLock
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	raw, ok := conn.(moderncConn)
	if !ok {
		conn.Close()
		return nil, errors.New("sqlite: the driver's connection lacks a method the statement cache needs")
	}
	return &cachingConn{moderncConn: raw, byText: map[string]*list.Element{}, lru: list.New(), lock: c.lock}, nil
}

// moderncConn is what modernc.org/sqlite's connection does that
// database/sql uses: each is passed on, QueryContext and ExecContext
// through the cache.
type moderncConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmt is what a prepared modernc statement does.
type stmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachedStmt is a prepared statement of the cache. database/sql uses a
// connection from one goroutine at a time, the closing of its rows
// included, so no lock is needed; busy marks a statement whose rows are
// still open, which the same text can't use again until they close.
type cachedStmt struct {
	text    string
	s       stmt
	busy    bool
	evicted bool // out of the cache: closed when its rows close
}

type cachingConn struct {
	moderncConn
	byText map[string]*list.Element // of *cachedStmt
	lru    *list.List               // most recently used first

	// lock is the file's write lock, nil on a read-only pool; inTx: this
	// connection holds it for a transaction, whose statements then run
	// without taking it again.
	lock writeLock
	inTx bool
}

// get returns text's cached statement, prepared if need be; nil when it
// is busy or can't be prepared on its own (the caller then runs text as
// modernc would, which also reports any error in it).
func (c *cachingConn) get(ctx context.Context, text string) *cachedStmt {
	if e, ok := c.byText[text]; ok {
		c.lru.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil
		}
		return cs
	}
	ds, err := c.moderncConn.PrepareContext(ctx, fixedLimit(text))
	if err != nil {
		return nil
	}
	s, ok := ds.(stmt)
	if !ok {
		ds.Close()
		return nil
	}
	cs := &cachedStmt{text: text, s: s}
	c.byText[text] = c.lru.PushFront(cs)
	if c.lru.Len() > stmtCacheSize {
		old := c.lru.Back()
		c.lru.Remove(old)
		o := old.Value.(*cachedStmt)
		delete(c.byText, o.text)
		o.evicted = true
		if !o.busy {
			o.s.Close()
		}
	}
	return cs
}

// bareLimit is a LIMIT that is a parameter alone, ending its SELECT.
var bareLimit = regexp.MustCompile(`(?i)\b(LIMIT\s+)(\?\d*|[:@$][A-Za-z_]\w*)(\s*(?:\)|;|$))`)

// fixedLimit returns text with each LIMIT that is a parameter alone
// written as that parameter plus 0: the same number, but not a bare
// parameter. SQLite plans a statement with the value bound to such a
// LIMIT and, when the next run binds another, prepares the statement
// again, parser and planner, as if it were new. River's fetch binds the
// number of its free workers there, which changes from one fetch to the
// next: the fetch was parsed afresh nearly every time, 5 % of the
// server's CPU in a whole reset (flowbench), which this cache is for.
func fixedLimit(text string) string {
	return bareLimit.ReplaceAllString(text, "${1}${2} + 0${3}")
}

// mustLock reports whether a statement run now takes the write lock: on a
// pool that writes, outside a transaction (which holds it already).
func (c *cachingConn) mustLock() bool { return c.lock != nil && !c.inTx }

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if !c.mustLock() {
		return c.moderncConn.BeginTx(ctx, opts)
	}
	if err := c.lock.acquire(ctx); err != nil {
		return nil, err
	}
	tx, err := c.moderncConn.BeginTx(ctx, opts)
	if err != nil {
		c.lock.release()
		return nil, err
	}
	c.inTx = true
	return &lockedTx{Tx: tx, c: c}, nil
}

// lockedTx gives the write lock back when it ends.
type lockedTx struct {
	driver.Tx
	c *cachingConn
}

func (t *lockedTx) Commit() error   { return t.end(t.Tx.Commit) }
func (t *lockedTx) Rollback() error { return t.end(t.Tx.Rollback) }

func (t *lockedTx) end(f func() error) error {
	err := f()
	if t.c != nil {
		t.c.inTx = false
		t.c.lock.release()
		t.c = nil
	}
	return err
}

func (c *cachingConn) ExecContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Result, error) {
	if c.mustLock() {
		if err := c.lock.acquire(ctx); err != nil {
			return nil, err
		}
		defer c.lock.release()
	}
	cs := c.get(ctx, text)
	if cs == nil {
		return c.moderncConn.ExecContext(ctx, text, args)
	}
	return cs.s.ExecContext(ctx, args)
}

// QueryContext: outside a transaction on a pool that writes, the statement
// may be a write (UPDATE … RETURNING: River's fetch), which holds SQLite's
// lock until its rows close, so the write lock is held as long.
func (c *cachingConn) QueryContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Rows, error) {
	var unlock writeLock
	if c.mustLock() {
		if err := c.lock.acquire(ctx); err != nil {
			return nil, err
		}
		unlock = c.lock
	}
	var rows driver.Rows
	var err error
	cs := c.get(ctx, text)
	if cs == nil {
		rows, err = c.moderncConn.QueryContext(ctx, text, args)
	} else if rows, err = cs.s.QueryContext(ctx, args); err == nil {
		cs.busy = true
	}
	if err != nil {
		if unlock != nil {
			unlock.release()
		}
		return nil, err
	}
	if cs == nil && unlock == nil {
		return rows, nil
	}
	return &cachedRows{Rows: rows, cs: cs, unlock: unlock}, nil
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*cachedStmt).s.Close()
	}
	c.lru.Init()
	clear(c.byText)
	return c.moderncConn.Close()
}

// cachedRows gives its statement (if cached) and the write lock (if
// taken) back when closed. Only Columns, Next and Close are passed on:
// the store and River scan into typed values and never ask database/sql
// for column types.
type cachedRows struct {
	driver.Rows
	cs     *cachedStmt
	unlock writeLock
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.unlock != nil {
		r.unlock.release()
		r.unlock = nil
	}
	if r.cs != nil {
		r.cs.busy = false
		if r.cs.evicted {
			r.cs.s.Close()
		}
		r.cs = nil
	}
	return err
}
