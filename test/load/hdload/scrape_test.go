package hdload

import "testing"

func TestCountSeries(t *testing.T) {
	tests := []struct {
		name string
		body string
		want ScrapeCost
	}{
		{"empty", "", ScrapeCost{}},
		{"help, type and samples", "# HELP leapfrog_x X.\n# TYPE leapfrog_x counter\nleapfrog_x{a=\"1\"} 3\nleapfrog_x{a=\"2\"} 4\ngo_goroutines 12\n",
			ScrapeCost{Bytes: 104, Series: 3, LeapfrogSeries: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countSeries([]byte(tt.body)); got != tt.want {
				t.Errorf("countSeries = %+v, want %+v", got, tt.want)
			}
		})
	}
}
