// Package questions holds the security-question catalogue shipped in
// static/questions: the questions a user may choose to answer, by stable id,
// one file per language so that they can be translated.
package questions

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
)

// Question is one catalogue entry.
type Question struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Catalog is the catalogue in one language.
type Catalog struct {
	Language  string     `json:"language"`
	Questions []Question `json:"questions"`
	byID      map[string]string
}

// Load reads questions/<lang>.json from fsys.
func Load(fsys fs.FS, lang string) (*Catalog, error) {
	b, err := fs.ReadFile(fsys, "questions/"+lang+".json")
	if err != nil {
		return nil, fmt.Errorf("question catalogue: %w", err)
	}
	var c Catalog
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("question catalogue %s: %w", lang, err)
	}
	c.byID = make(map[string]string, len(c.Questions))
	for _, q := range c.Questions {
		if q.ID == "" || q.Text == "" {
			return nil, fmt.Errorf("question catalogue %s: a question without id or text", lang)
		}
		if _, dup := c.byID[q.ID]; dup {
			return nil, fmt.Errorf("question catalogue %s: id %q twice", lang, q.ID)
		}
		c.byID[q.ID] = q.Text
	}
	return &c, nil
}

// Text returns a question's text, and whether it exists.
func (c *Catalog) Text(id string) (string, bool) {
	t, ok := c.byID[id]
	return t, ok
}

// IDs returns every id in catalogue order.
func (c *Catalog) IDs() []string {
	ids := make([]string, 0, len(c.Questions))
	for _, q := range c.Questions {
		ids = append(ids, q.ID)
	}
	return ids
}

// All returns a copy of the questions in catalogue order.
func (c *Catalog) All() []Question { return slices.Clone(c.Questions) }
