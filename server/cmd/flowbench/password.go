package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/policy"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/static"
)

// words are what passwords are made of: three of them and four digits,
// "Copper-Lantern-Meadow-7294", about 36 bits, so that no two flows of a
// run choose the same password and none is in an account's history.
var words = strings.Fields(`
	acorn almond amber anchor antler apple apricot arbor arrow aspen
	badger bakery bamboo banjo barley basket beacon beaver berry birch
	biscuit blossom bramble breeze brick bridge brook bucket button cabin
	cactus camel candle canoe canyon carpet carrot castle cedar cello
	cherry chestnut cinder clover cobalt comet compass copper coral cotton
	cricket crystal cypress daisy dolphin dragon drizzle dune eagle ember
	falcon feather fennel fern fiddle fjord forest fossil fountain fox
	galaxy garden garnet geyser ginger glacier goose granite gravel grove
	hammock harbour harvest hazel heron hickory honey horizon iceberg indigo
	island ivory jasmine juniper kettle kiwi ladder lagoon lantern lark
	lavender lemon lichen lily linen lobster lotus magnet mango maple
	marble meadow melon meteor mint mirror mitten moss mountain mulberry
	nectar nutmeg oasis oatmeal ocean olive onion orbit orchard orchid
	otter owl paddle panda papaya parrot pebble pelican pepper pigeon
	pillow pine planet plum pocket pond poppy prairie pumpkin quail quartz
	quill rabbit radish raven reef ribbon river robin rocket saddle saffron
	salmon sandal satin sequoia shadow shell silver slate sparrow spruce
	squirrel starling summit sunset swallow thistle thunder tiger timber
	tomato topaz tulip tundra turnip umber valley velvet violet walnut
	walrus willow window winter wren yarrow zebra zephyr bison canopy
	dahlia ferret heather
`)

// passwords makes new passwords that pass the portal's policy, as the
// portal checks it (server/policy with the configuration's [password] and
// the organisation's names, and the shipped list of common passwords).
type passwords struct {
	pol *policy.Policy
}

// newPasswords builds the policy as the portal does (server/portal's
// policyConfig) from cfg.
func newPasswords(cfg *config.Config) (*passwords, error) {
	bl, err := policy.LoadBlocklist(static.FS, "passwords/common.txt")
	if err != nil {
		return nil, err
	}
	p := cfg.Password
	banned := slices.Clone(p.BannedWords)
	for _, n := range []string{cfg.Organisation.Name, cfg.Organisation.ShortName} {
		if strings.TrimSpace(n) != "" {
			banned = append(banned, n)
		}
	}
	pc := policy.Config{MinLength: p.MinLength, MaxLength: p.MaxLength, RequireLower: p.RequireLower,
		RequireUpper: p.RequireUpper, RequireDigit: p.RequireDigit, RequireSymbol: p.RequireSymbol,
		MinClasses: p.MinClasses, BannedWords: banned}
	if err := pc.Validate(); err != nil {
		return nil, err
	}
	return &passwords{pol: policy.New(pc, bl)}, nil
}

// next returns a password for a that passes the policy and is not among
// avoid (the passwords it had lately).
func (p *passwords) next(r *rand.Rand, a *account, avoid []string) (string, error) {
	acct := &sspr.Account{ID: a.ID, DisplayName: a.Name, Mail: a.Mail}
	for range 100 {
		pw := candidate(r)
		if slices.Contains(avoid, pw) {
			continue
		}
		if broken := p.pol.Check(pw, acct); len(broken) == 0 {
			return pw, nil
		}
	}
	return "", fmt.Errorf("no password passing the policy in 100 tries: does [password] ask for something words and digits can't give?")
}

// candidate is three capitalised words and four digits, with dashes: it
// has lower and upper case letters, digits and a symbol, for a policy
// that asks for them.
func candidate(r *rand.Rand) string {
	var b strings.Builder
	for range 3 {
		w := words[r.IntN(len(words))]
		b.WriteString(strings.ToUpper(w[:1]))
		b.WriteString(w[1:])
		b.WriteByte('-')
	}
	fmt.Fprintf(&b, "%04d", r.IntN(10000))
	return b.String()
}
