package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
	"time"
	"unicode"
)

// Series is one line: a legend and its points.
type Series struct {
	Legend string
	T      []time.Time
	V      []float64
}

// Chart is a line chart.
type Chart struct {
	Title string
	// Unit is printed with the y-axis range (s, reqps, short...).
	Unit   string
	Series []Series
}

const (
	width, height          = 960, 360
	left, right, top, plot = 70, 300, 28, 300 // plot area: left..width-right, top..top+plot
	scale                  = 2                // font pixels per glyph pixel
)

var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255},
}

// WritePNG draws the chart. It fails when no series has a point: an empty
// chart is not something to look at.
func (c Chart) WritePNG(w io.Writer) error {
	t0, t1, lo, hi, ok := c.bounds()
	if !ok {
		return fmt.Errorf("chart %q: no points", c.Title)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(img, img.Bounds(), color.RGBA{255, 255, 255, 255})
	grey := color.RGBA{200, 200, 200, 255}
	x0, x1, y0, y1 := left, width-right, top, top+plot
	fill(img, image.Rect(x0, y0, x1, y0+1), grey)
	fill(img, image.Rect(x0, y1, x1, y1+1), grey)
	fill(img, image.Rect(x0, y0, x0+1, y1), grey)
	black := color.RGBA{0, 0, 0, 255}
	text(img, 8, 6, c.Title, black)
	text(img, 4, y0, short(hi)+" "+c.Unit, black)
	text(img, 4, y1-10, short(lo)+" "+c.Unit, black)
	text(img, x0, y1+8, t0.UTC().Format("15:04:05"), black)
	end := t1.UTC().Format("15:04:05")
	text(img, x1-len(end)*4*scale, y1+8, end, black)
	span := t1.Sub(t0).Seconds()
	if span <= 0 {
		span = 1
	}
	for i, s := range c.Series {
		col := palette[i%len(palette)]
		px := func(j int) (int, int) {
			x := x0 + int(float64(x1-x0)*s.T[j].Sub(t0).Seconds()/span)
			y := y1 - int(float64(y1-y0)*(s.V[j]-lo)/(hi-lo))
			return x, y
		}
		// NaN and Inf (a quantile with no observations) are gaps in the line.
		prev := -1
		for j, v := range s.V {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				prev = -1
				continue
			}
			x, y := px(j)
			fill(img, image.Rect(x-1, y-1, x+2, y+2), col)
			if prev >= 0 {
				xa, ya := px(prev)
				line(img, xa, ya, x, y, col)
			}
			prev = j
		}
		if i < 24 {
			ly := top + i*12
			fill(img, image.Rect(x1+12, ly, x1+22, ly+10), col)
			text(img, x1+28, ly, s.Legend, black)
		}
	}
	return png.Encode(w, img)
}

func (c Chart) bounds() (t0, t1 time.Time, lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for j, v := range s.V {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if !ok || s.T[j].Before(t0) {
				t0 = s.T[j]
			}
			if !ok || s.T[j].After(t1) {
				t1 = s.T[j]
			}
			lo, hi, ok = math.Min(lo, v), math.Max(hi, v), true
		}
	}
	lo = math.Min(lo, 0)
	if hi <= lo {
		hi = lo + 1
	}
	return t0, t1, lo, hi, ok
}

// short prints a value in a few characters.
func short(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.1fK", v/1e3)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// line draws from (xa, ya) to (xb, yb), Bresenham's way.
func line(img *image.RGBA, xa, ya, xb, yb int, c color.RGBA) {
	dx, dy := abs(xb-xa), -abs(yb-ya)
	sx, sy := sign(xb-xa), sign(yb-ya)
	e := dx + dy
	for {
		img.SetRGBA(xa, ya, c)
		if xa == xb && ya == yb {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			xa += sx
		} else {
			e += dx
			ya += sy
		}
	}
}

// text draws s with the 3x5 font, upper-case, at (x, y).
func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range strings.ToUpper(s) {
		g, ok := glyphs[unicode.ToUpper(r)]
		if ok {
			for row, bits := range g {
				for col, b := range bits {
					if b == '#' {
						fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
					}
				}
			}
		}
		x += 4 * scale
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
