package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

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
func openDB(dsn string) (*sql.DB, error) {
	c, err := moderncsqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{c}), nil
}

type cachingConnector struct{ driver.Connector }

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
	return &cachingConn{moderncConn: raw, byText: map[string]*list.Element{}, lru: list.New()}, nil
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
	ds, err := c.moderncConn.PrepareContext(ctx, text)
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

func (c *cachingConn) ExecContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Result, error) {
	cs := c.get(ctx, text)
	if cs == nil {
		return c.moderncConn.ExecContext(ctx, text, args)
	}
	return cs.s.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Rows, error) {
	cs := c.get(ctx, text)
	if cs == nil {
		return c.moderncConn.QueryContext(ctx, text, args)
	}
	rows, err := cs.s.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
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

// cachedRows gives its statement back when closed. Only Columns, Next and
// Close are passed on: the store and River scan into typed values and
// never ask database/sql for column types.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.cs != nil {
		r.cs.busy = false
		if r.cs.evicted {
			r.cs.s.Close()
		}
		r.cs = nil
	}
	return err
}
