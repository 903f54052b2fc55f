package questions_test

import (
	"testing"
	"testing/fstest"

	"github.com/sspr-portal/sspr/server/questions"
	"github.com/sspr-portal/sspr/static"
)

func TestShippedCatalog(t *testing.T) {
	c, err := questions.Load(static.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.IDs()); n < 15 {
		t.Fatalf("%d questions, want at least 15", n)
	}
	for _, id := range []string{"first_pet", "childhood_friend", "first_school", "birth_town", "first_job"} {
		if text, ok := c.Text(id); !ok || text == "" {
			t.Errorf("the dev seed's question %q is missing", id)
		}
	}
}

func TestLoadRefusesBadCatalogs(t *testing.T) {
	tests := map[string]string{
		"Duplicate": `{"questions":[{"id":"a","text":"A?"},{"id":"a","text":"B?"}]}`,
		"NoText":    `{"questions":[{"id":"a","text":""}]}`,
		"NotJSON":   `{`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"questions/xx.json": {Data: []byte(body)}}
			if _, err := questions.Load(fsys, "xx"); err == nil {
				t.Fatal("loaded")
			}
		})
	}
	if _, err := questions.Load(fstest.MapFS{}, "xx"); err == nil {
		t.Fatal("loaded a missing language")
	}
}
