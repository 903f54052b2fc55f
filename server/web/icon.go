package web

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"sync"
)

// The portal's icon is a key on the organisation's colour, drawn here so
// that it follows theme_colour and so that no icon has to be fetched from
// anywhere else (go-app's default icons are on GitHub: every visitor's
// browser would ask GitHub for them). A file of the same name in the web
// folder replaces the drawn one.

// The key, in a 512×512 square, kept inside the central circle of radius
// 205 that a maskable icon must keep its content in.
const (
	ringX, ringY, ringR = 180.0, 256.0, 70.0
	stroke              = 36.0
	shaftX0, shaftX1    = 250.0, 420.0
	tooth1X, tooth1Y    = 380.0, 316.0
	tooth2X, tooth2Y    = 330.0, 304.0
)

// iconSVG is the icon as SVG, with rounded corners, for favicons.
func iconSVG(bg string) []byte {
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">`+
		`<rect width="512" height="512" rx="96" fill="%s"/>`+
		`<g fill="none" stroke="#fff" stroke-width="%g" stroke-linecap="round">`+
		`<circle cx="%g" cy="%g" r="%g"/>`+
		`<path d="M%g %gH%g M%g %gV%g M%g %gV%g"/>`+
		`</g></svg>`+"\n",
		bg, stroke, ringX, ringY, ringR,
		shaftX0, ringY, shaftX1,
		tooth1X, ringY, tooth1Y,
		tooth2X, ringY, tooth2Y)
}

var (
	pngMu    sync.Mutex
	pngCache = map[pngKey][]byte{}
)

type pngKey struct {
	bg   color.RGBA
	size int
}

// cachedIconPNG is iconPNG drawn once per colour and size: drawing the
// 512-pixel icon takes a noticeable fraction of a second.
func cachedIconPNG(bg color.RGBA, size int) []byte {
	pngMu.Lock()
	defer pngMu.Unlock()
	k := pngKey{bg, size}
	if b, ok := pngCache[k]; ok {
		return b
	}
	b := iconPNG(bg, size)
	pngCache[k] = b
	return b
}

// iconPNG draws the icon as a size×size PNG filling the whole square (the
// platform applies its own mask), smoothed by 4×4 supersampling.
func iconPNG(bg color.RGBA, size int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	scale := 512 / float64(size)
	const n = 4
	for y := range size {
		for x := range size {
			inside := 0
			for sy := range n {
				for sx := range n {
					px := (float64(x) + (float64(sx)+0.5)/n) * scale
					py := (float64(y) + (float64(sy)+0.5)/n) * scale
					if onKey(px, py) {
						inside++
					}
				}
			}
			a := float64(inside) / (n * n)
			mix := func(c uint8) uint8 { return uint8(math.Round(float64(c)*(1-a) + 255*a)) }
			img.SetRGBA(x, y, color.RGBA{mix(bg.R), mix(bg.G), mix(bg.B), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding an in-memory RGBA image can't fail
	}
	return b.Bytes()
}

// onKey reports whether the point (x, y) of the 512×512 square is on the
// white key.
func onKey(x, y float64) bool {
	const half = stroke / 2
	if math.Abs(math.Hypot(x-ringX, y-ringY)-ringR) <= half {
		return true
	}
	return segment(x, y, shaftX0, ringY, shaftX1, ringY) <= half ||
		segment(x, y, tooth1X, ringY, tooth1X, tooth1Y) <= half ||
		segment(x, y, tooth2X, ringY, tooth2X, tooth2Y) <= half
}

// segment is the distance from (x, y) to the segment (x0, y0)-(x1, y1).
func segment(x, y, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	t := ((x-x0)*dx + (y-y0)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(x-(x0+t*dx), y-(y0+t*dy))
}

// parseColour reads "#rgb" or "#rrggbb"; anything else is the fallback.
func parseColour(s string, fallback color.RGBA) color.RGBA {
	if len(s) == 4 && s[0] == '#' {
		s = "#" + string([]byte{s[1], s[1], s[2], s[2], s[3], s[3]})
	}
	if len(s) != 7 || s[0] != '#' {
		return fallback
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return fallback
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}
