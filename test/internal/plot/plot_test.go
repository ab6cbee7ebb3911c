package plot

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"testing"
	"time"
)

func TestWritePNG(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	ts := []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)}
	tests := []struct {
		name    string
		chart   Chart
		wantErr bool
	}{
		{"two series", Chart{Title: "Hop latency p99", Unit: "s", Series: []Series{
			{Legend: "p50", T: ts, V: []float64{0.001, 0.002, 0.0015}},
			{Legend: "p99", T: ts, V: []float64{0.004, 0.01, 0.006}},
		}}, false},
		{"gaps", Chart{Title: "p99 with idle windows", Unit: "s", Series: []Series{
			{Legend: "p99", T: ts, V: []float64{math.NaN(), 0.01, math.Inf(1)}},
		}}, false},
		{"only NaN", Chart{Title: "idle", Series: []Series{{Legend: "p99", T: ts, V: []float64{math.NaN(), math.NaN(), math.NaN()}}}}, true},
		{"one point", Chart{Title: "x", Series: []Series{{Legend: "a", T: ts[:1], V: []float64{3}}}}, false},
		{"no points", Chart{Title: "empty", Series: []Series{{Legend: "a"}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tt.chart.WritePNG(&buf)
			if (err != nil) != tt.wantErr {
				t.Fatalf("WritePNG: %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			// Each series' color is drawn somewhere (its line and its legend box).
			for i := range tt.chart.Series {
				want := palette[i]
				found := false
				for y := 0; y < height && !found; y++ {
					for x := 0; x < width && !found; x++ {
						found = color.RGBAModel.Convert(img.At(x, y)) == want
					}
				}
				if !found {
					t.Errorf("series %d's color %v is nowhere in the image", i, want)
				}
			}
		})
	}
}
