package i18n

import (
	"reflect"
	"testing"
	"time"
)

func TestFill(t *testing.T) {
	tests := []struct {
		s    string
		args []string
		want string
	}{
		{"no placeholders", nil, "no placeholders"},
		{"We sent it to {{address}}.", []string{"address", "a@example.org"}, "We sent it to a@example.org."},
		{"{{a}} and {{b}}", []string{"b", "2", "a", "1"}, "1 and 2"},
		{"{{ a }} is not {{a}}", []string{"a", "1"}, "{{ a }} is not 1"},
		{"{{missing}} stays", nil, "{{missing}} stays"},
		{"open {{ never closed", []string{"x", "y"}, "open {{ never closed"},
		{"{{a}}{{a}}", []string{"a", "x"}, "xx"},
	}
	for _, tt := range tests {
		if got := Fill(tt.s, tt.args...); got != tt.want {
			t.Errorf("Fill(%q, %q) = %q, want %q", tt.s, tt.args, got, tt.want)
		}
	}
}

func TestPluralCategory(t *testing.T) {
	tests := []struct {
		lang string
		want map[int]string
	}{
		{"en", map[int]string{0: "other", 1: "one", 2: "other", 5: "other"}},
		{"cy", map[int]string{0: "zero", 1: "one", 2: "two", 3: "few", 4: "other", 6: "many", 7: "other", 100: "other"}},
		{"ar", map[int]string{0: "zero", 1: "one", 2: "two", 3: "few", 10: "few", 11: "many", 99: "many", 100: "other", 102: "other", 103: "few", 111: "many"}},
		{"zh-Hans", map[int]string{0: "other", 1: "other", 2: "other"}},
		{"xx", map[int]string{1: "one", 3: "other"}},
	}
	for _, tt := range tests {
		for n, want := range tt.want {
			if got := PluralCategory(tt.lang, n); got != want {
				t.Errorf("PluralCategory(%q, %d) = %q, want %q", tt.lang, n, got, want)
			}
		}
	}
	if got := PluralCategories("cy"); !reflect.DeepEqual(got, []string{"zero", "one", "two", "few", "other", "many"}) {
		t.Errorf("PluralCategories(cy) = %q", got)
	}
	if got := PluralCategories("zh-Hans"); !reflect.DeepEqual(got, []string{"other"}) {
		t.Errorf("PluralCategories(zh-Hans) = %q", got)
	}
}

func TestCatalog(t *testing.T) {
	c, err := Parse("cy", []byte(`{"a": "Helo {{name}}", "n_zero": "dim", "n_one": "{{count}} cod", "n_other": "{{count}} cod (lluosog)"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ got, want string }{
		{c.T("a", "name", "Ana"), "Helo Ana"},
		{c.T("nope"), "nope"},
		{c.N("n", 0), "dim"},
		{c.N("n", 1), "1 cod"},
		{c.N("n", 2), "2 cod (lluosog)"}, // no _two: falls back on _other
		{c.Lang() + " " + c.Dir(), "cy ltr"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
	var none *Catalog
	if none.T("k") != "k" || none.Has("k") || none.Lang() != "" {
		t.Error("a nil catalogue should answer keys with themselves")
	}
	if _, err := Parse("en", []byte(`{"a": 1}`)); err == nil {
		t.Error("Parse took a number for a text")
	}
	if Dir("ar") != "rtl" || Dir("ar-EG") != "rtl" || Dir("zh-Hans") != "ltr" {
		t.Error("Dir")
	}
}

func TestParts(t *testing.T) {
	tests := []struct {
		s    string
		want []Part
	}{
		{"plain", []Part{{"plain", -1}}},
		{"see <0>the outbox</0>.", []Part{{"see ", -1}, {"the outbox", 0}, {".", -1}}},
		{"<1>a</1><0>b</0>", []Part{{"a", 1}, {"b", 0}}},
		{"3 < 4 <0>x", []Part{{"3 < 4 <0>x", -1}}},
		{"a <b>c</b>", []Part{{"a <b>c</b>", -1}}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Parts(tt.s); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parts(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestDate(t *testing.T) {
	c := New("zh-Hans", map[string]string{
		"full": "{{year}}年{{month_number}}月{{day}}日", "long": "{{time}} on {{weekday}} {{day}} {{month}}",
		"date.weekday_1": "Monday", "date.month_11": "November",
	})
	d := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	for key, want := range map[string]string{"full": "2026年11月23日", "long": "14:05 on Monday 23 November"} {
		if got := c.Date(key, d); got != want {
			t.Errorf("Date(%s) = %q, want %q", key, got, want)
		}
	}
}
