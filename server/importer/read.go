package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Format is how an import file is written.
type Format string

// The formats.
const (
	// CSV: RFC 4180, a header row naming the columns first.
	CSV Format = "csv"
	// JSONL: a JSON object a line, with the same field names as CSV's
	// columns.
	JSONL Format = "jsonl"
)

// FormatOf is the format named (csv or jsonl), or, when none is, the one
// the file's extension says (.csv; .jsonl or .ndjson). Standard input
// ("-") has no extension: its format must be named.
func FormatOf(named, path string) (Format, error) {
	switch f := Format(strings.ToLower(named)); f {
	case CSV, JSONL:
		return f, nil
	case "":
	default:
		return "", fmt.Errorf("unknown format %q: give csv or jsonl", named)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	}
	if path == "-" {
		return "", errors.New("standard input has no extension to tell its format: give --format csv or jsonl")
	}
	return "", fmt.Errorf("can't tell the format of %s from its extension (.csv, .jsonl): give --format csv or jsonl", filepath.Base(path))
}

// MaxLineBytes is the longest JSON line read; a longer one is refused
// (line_too_long) without being held whole.
const MaxLineBytes = 64 << 10

// record is one line of a file, its fields by the schema's index: the raw
// text, before any check.
type record struct {
	line int
	vals []string // "" for a field absent, empty or null
	has  []bool   // the field was given a value (a column of the file, or a key of the line not null)
}

// get is field i's value and whether it is there.
func (r *record) get(i int) (string, bool) { return r.vals[i], r.has[i] && r.vals[i] != "" }

// schema is one kind of file: its fields, which a header must name, and
// how a record becomes an item.
type schema[T item] struct {
	kind     string   // for messages: "accounts"
	fields   []string // every field, by index
	boolean  []bool   // the fields a JSON line may give as true or false
	required []int    // the fields a CSV header must name
	// header checks the columns a CSV header names, beyond required.
	header func(named []bool) error
	build  func(r *record, rules Rules) (T, *Rejection)
}

// rows is where records come from: CSV or JSON lines.
type rows interface {
	// next reads the next record into rec, or returns a Rejection for a
	// line that isn't one; io.EOF at the end; any other error is the
	// input's (a read that failed) and ends the run.
	next(rec *record) (*Rejection, error)
}

// Reader reads a file's lines, and checks each: Next returns the next
// valid item, or the Rejection of the next line that isn't one.
type Reader[T item] struct {
	s     *schema[T]
	rules Rules
	rows  rows
	rec   record
}

func newReader[T item](r io.Reader, f Format, s *schema[T], rules Rules) (*Reader[T], error) {
	rd := &Reader[T]{s: s, rules: rules,
		rec: record{vals: make([]string, len(s.fields)), has: make([]bool, len(s.fields))}}
	var err error
	switch f {
	case CSV:
		rd.rows, err = newCSVRows(r, s.fields, s.required, s.header)
	case JSONL:
		rd.rows = newJSONRows(r, s.fields, s.boolean)
	default:
		err = fmt.Errorf("unknown format %q", f)
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Next returns the next line: an item, or the Rejection of a line that
// isn't one. At the end of the file it returns io.EOF; any other error is
// a failure to read, which ends the run.
func (rd *Reader[T]) Next() (T, *Rejection, error) {
	var zero T
	clear(rd.rec.vals)
	clear(rd.rec.has)
	rej, err := rd.rows.next(&rd.rec)
	if err != nil || rej != nil {
		return zero, rej, err
	}
	return rd.build(&rd.rec)
}

// read reads the next line's fields, unchecked, into a record of its own
// (for Run, which checks many at once): a Rejection for a line that is no
// record; io.EOF at the end.
func (rd *Reader[T]) read() (record, *Rejection, error) {
	rec := record{vals: make([]string, len(rd.s.fields)), has: make([]bool, len(rd.s.fields))}
	rej, err := rd.rows.next(&rec)
	return rec, rej, err
}

// build checks a record and makes it an item. It may run on several
// records at once.
func (rd *Reader[T]) build(rec *record) (T, *Rejection, error) {
	var zero T
	it, rej := rd.s.build(rec, rd.rules)
	if rej != nil {
		return zero, rej, nil
	}
	return it, nil, nil
}

// csvRows reads CSV with a header row.
type csvRows struct {
	r      *csv.Reader
	cols   []int // the field of each column
	fields int   // how many columns the header has
}

// newCSVRows reads the header: every column must be a field of the kind,
// each once, and the required fields must all be there. A header that
// isn't so is an error: no line of the file could be read right.
func newCSVRows(r io.Reader, fields []string, required []int, check func([]bool) error) (*csvRows, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: a CSV file starts with a header row naming its columns")
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("the header row: %w", pe.Err)
	}
	if err != nil {
		return nil, err
	}
	named := make([]bool, len(fields))
	cols := make([]int, len(head))
	for i, h := range head {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a spreadsheet's byte order mark
		}
		name := strings.ToLower(strings.TrimSpace(h))
		f := slices.Index(fields, name)
		switch {
		case f < 0:
			return nil, fmt.Errorf("the header row: column %d, %s, is not one of %s (is the header row missing?)",
				i+1, nameOf(name), strings.Join(fields, ", "))
		case named[f]:
			return nil, fmt.Errorf("the header row: column %q twice", name)
		}
		named[f], cols[i] = true, f
	}
	for _, f := range required {
		if !named[f] {
			return nil, fmt.Errorf("the header row: no %q column", fields[f])
		}
	}
	if check != nil {
		if err := check(named); err != nil {
			return nil, fmt.Errorf("the header row: %w", err)
		}
	}
	// Every record must have the header's number of fields (csv's
	// ErrFieldCount otherwise), as FieldsPerRecord 0 sets it from the
	// first record read, the header.
	return &csvRows{r: cr, cols: cols, fields: len(head)}, nil
}

func (c *csvRows) next(rec *record) (*Rejection, error) {
	fields, err := c.r.Read()
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		if len(fields) > c.fields {
			return reject(pe.StartLine, "", ReasonMalformed,
				"%d fields, where the header has %d (a field with a comma, such as an argon2id hash's m=…,t=…,p=…, must be in double quotes)",
				len(fields), c.fields), nil
		}
		return reject(pe.StartLine, "", ReasonMalformed, "%d fields, where the header has %d", len(fields), c.fields), nil
	case errors.As(err, &pe):
		// pe.Err is one of csv's fixed errors: it quotes nothing.
		return reject(pe.StartLine, "", ReasonMalformed, "not CSV: %v (column %d)", pe.Err, pe.Column), nil
	case err != nil:
		return nil, err
	}
	rec.line, _ = c.r.FieldPos(0)
	for i, v := range fields {
		rec.vals[c.cols[i]], rec.has[c.cols[i]] = v, true
	}
	return nil, nil
}

// jsonRows reads JSON lines.
type jsonRows struct {
	r       *bufio.Reader
	line    int
	buf     []byte
	fields  []string
	boolean []bool
}

func newJSONRows(r io.Reader, fields []string, boolean []bool) *jsonRows {
	return &jsonRows{r: bufio.NewReaderSize(r, 64<<10), fields: fields, boolean: boolean}
}

func (j *jsonRows) next(rec *record) (*Rejection, error) {
	for {
		b, long, err := j.readLine()
		if err != nil {
			return nil, err
		}
		j.line++
		if j.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if long {
			return reject(j.line, "", ReasonLineTooLong, "longer than %d bytes", MaxLineBytes), nil
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue // a blank line: not a record
		}
		rec.line = j.line
		return j.parse(b, rec), nil
	}
}

// readLine reads one line without its end, at most MaxLineBytes of it:
// long reports a longer one, whose rest is read and dropped. io.EOF comes
// only when nothing is left.
func (j *jsonRows) readLine() (line []byte, long bool, err error) {
	j.buf = j.buf[:0]
	for {
		chunk, err := j.r.ReadSlice('\n')
		if !long {
			if len(j.buf)+len(chunk) > MaxLineBytes+2 { // room for "\r\n"
				long = true
			} else {
				j.buf = append(j.buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(j.buf) == 0 && !long {
				return nil, false, io.EOF
			}
		case err != nil:
			return nil, false, err
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(j.buf, []byte("\n")), []byte("\r"))
		if !long && len(line) > MaxLineBytes {
			long = true
		}
		return line, long, nil
	}
}

// parse reads one JSON line into rec. Its error messages are made here,
// never taken from encoding/json, which quotes the text it stumbled on (a
// piece of a password, perhaps).
func (j *jsonRows) parse(b []byte, rec *record) *Rejection {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return reject(rec.line, "", ReasonMalformed, "not a JSON object: a syntax error at byte %d", se.Offset)
		}
		return reject(rec.line, "", ReasonMalformed, "not a JSON object")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first unknown key named is the same every time
	for _, k := range keys {
		if slices.Index(j.fields, k) < 0 {
			return reject(rec.line, "", ReasonUnknownField, "unknown field %s (the fields are %s)", nameOf(k), strings.Join(j.fields, ", "))
		}
	}
	for _, k := range keys {
		f, raw := slices.Index(j.fields, k), bytes.TrimSpace(obj[k])
		switch {
		case bytes.Equal(raw, []byte("null")):
			// Absent.
		case len(raw) > 0 && raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return reject(rec.line, "", ReasonMalformed, "field %q is not a JSON string", k)
			}
			rec.vals[f], rec.has[f] = s, true
		case j.boolean[f] && (bytes.Equal(raw, []byte("true")) || bytes.Equal(raw, []byte("false"))):
			rec.vals[f], rec.has[f] = string(raw), true
		case j.boolean[f]:
			return reject(rec.line, "", ReasonMalformed, "field %q must be true or false", k)
		default:
			return reject(rec.line, "", ReasonMalformed, "field %q must be a string", k)
		}
	}
	return nil
}

// nameOf is how a column or key the kind doesn't know is named in a
// message: quoted when it looks like a field name ("emial"), else not at
// all. A header row left out makes the first line's values the "names",
// and one of them may be a password.
func nameOf(s string) string {
	if len(s) == 0 || len(s) > 40 {
		return "(not a field name)"
	}
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return "(not a field name)"
		}
	}
	return strconv.Quote(s)
}
