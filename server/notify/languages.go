package notify

import (
	"fmt"
	"slices"
	"time"
)

// TemplateSet is the templates of every language the portal writes its
// messages in: each message in its reader's language (Message.Lang, else
// the language of the request that sent it), in the default language when
// that has no templates.
type TemplateSet struct {
	def    string
	byLang map[string]*Templates
}

// LoadTemplateSet loads the templates of each of langs (LoadTemplates; dir
// is the operator's folder, "" for none). The first language is the
// default.
func LoadTemplateSet(dir string, langs ...string) (*TemplateSet, error) {
	if len(langs) == 0 {
		langs = []string{DefaultLanguage}
	}
	s := &TemplateSet{def: langs[0], byLang: map[string]*Templates{}}
	for _, lang := range langs {
		if _, ok := s.byLang[lang]; ok {
			continue
		}
		t, err := LoadTemplates(dir, lang)
		if err != nil {
			return nil, err
		}
		s.byLang[lang] = t
	}
	return s, nil
}

// For is the templates of lang, or the default language's.
func (s *TemplateSet) For(lang string) *Templates {
	if t, ok := s.byLang[lang]; ok {
		return t
	}
	return s.byLang[s.def]
}

// Has reports whether the set has templates of lang.
func (s *TemplateSet) Has(lang string) bool {
	_, ok := s.byLang[lang]
	return ok
}

// Languages lists the languages the set has templates for, sorted.
func (s *TemplateSet) Languages() []string {
	var langs []string
	for l := range s.byLang {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	return langs
}

// CheckSMS checks every language's SMS templates (Templates.CheckSMS),
// CheckSMS checks that every language's texts fit one SMS (Templates.
// CheckSMS) with the organisation's name in that language: org, or what
// local gives for the language.
func (s *TemplateSet) CheckSMS(org string, local map[string]Local, codeDigits int, valid time.Duration) error {
	for _, lang := range s.Languages() {
		name := org
		if l := local[lang].Org; l != "" {
			name = l
		}
		if err := s.byLang[lang].CheckSMS(name, codeDigits, valid); err != nil {
			return fmt.Errorf("%s: %w", lang, err)
		}
	}
	return nil
}

// Default is the language of a message whose reader's language the set
// has no templates for.
func (s *TemplateSet) Default() string { return s.def }
