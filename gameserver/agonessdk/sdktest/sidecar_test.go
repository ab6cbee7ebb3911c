package sdktest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
)

func TestSidecarHealthPings(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantCode  int
		wantPings int64
	}{
		{"no body", "", http.StatusBadRequest, 0},
		{"one object", "{}", http.StatusOK, 1},
		{"two objects", "{}{}", http.StatusOK, 2},
		{"three lines", "{}\n{}\n{}\n", http.StatusOK, 3},
		{"malformed", "{", http.StatusBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mem := sdktest.Start(t, agonessdk.MemoryConfig{Name: "gs"})
			var body io.Reader = http.NoBody
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/health", body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tt.wantCode, b)
			}
			if tt.body == "" && len(b) != 0 {
				t.Errorf("body %q, want none", b)
			}
			if got := mem.HealthCount(); got != tt.wantPings {
				t.Errorf("pings = %d, want %d", got, tt.wantPings)
			}
		})
	}
}

func TestSidecarErrors(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		wantStatus, wantCode     int
		wantMessage              string
	}{
		{"unknown path", "GET", "/nosuch", "", 404, 5, "Not Found"},
		{"unknown list action", "POST", "/v1beta1/lists/players:clear", "{}", 404, 5, "Not Found"},
		{"malformed body", "POST", "/v1beta1/lists/players:addValue", "{", 400, 3, ""},
		{"invalid label", "PUT", "/metadata/label", `{"key":"a b","value":"x"}`, 400, 3, ""},
		{"list patch without capacity", "PATCH", "/v1beta1/lists/players", `{}`, 400, 3, ""},
		{"unknown list", "GET", "/v1beta1/lists/nosuchlist", "", 500, 2, "list not found: nosuchlist"},
		{"full list", "POST", "/v1beta1/lists/players:addValue", `{"value":"p9"}`, 500, 2,
			"out of range. No available capacity. Current Capacity: 0, List Size: 0"},
		{"counter out of range", "PATCH", "/v1beta1/counters/rooms", `{"countDiff":"-1"}`, 500, 2,
			"out of range. Count must be within range [0,Capacity]. Found Count: -1, Capacity: 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := sdktest.Start(t, agonessdk.MemoryConfig{
				Name:     "gs",
				Lists:    map[string]agonessdk.List{"players": {Capacity: 0}},
				Counters: map[string]agonessdk.Counter{"rooms": {Capacity: 5}},
			})
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Code    int
				Message string
				Details []any
			}
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || e.Code != tt.wantCode || e.Details == nil {
				t.Errorf("got %d %+v, want %d code %d", resp.StatusCode, e, tt.wantStatus, tt.wantCode)
			}
			if tt.wantMessage != "" && e.Message != tt.wantMessage {
				t.Errorf("message %q, want %q", e.Message, tt.wantMessage)
			}
		})
	}
}

func TestSidecarCounterPatch(t *testing.T) {
	tests := []struct {
		body string
		want agonessdk.Counter
	}{
		{`{"count":"5"}`, agonessdk.Counter{Name: "rooms", Count: 5, Capacity: 10}},
		{`{"capacity":"9"}`, agonessdk.Counter{Name: "rooms", Count: 1, Capacity: 9}},
		{`{"countDiff":"-1"}`, agonessdk.Counter{Name: "rooms", Count: 0, Capacity: 10}},
		{`{"countDiff":2}`, agonessdk.Counter{Name: "rooms", Count: 3, Capacity: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			srv, mem := sdktest.Start(t, agonessdk.MemoryConfig{
				Name:     "gs",
				Counters: map[string]agonessdk.Counter{"rooms": {Count: 1, Capacity: 10}},
			})
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, srv.URL+"/v1beta1/counters/rooms", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got agonessdk.Counter
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || got != tt.want {
				t.Errorf("got %d %+v, want %+v", resp.StatusCode, got, tt.want)
			}
			c, err := mem.GetCounter(t.Context(), "rooms")
			if err != nil || *c != tt.want {
				t.Errorf("memory has %+v, %v", c, err)
			}
		})
	}
}

// TestSidecarWatchBatch: with a batch interval, a burst of changes comes
// down the watch stream as a few lines, the last one current.
func TestSidecarWatchBatch(t *testing.T) {
	const every = 50 * time.Millisecond
	mem := agonessdk.NewMemory(agonessdk.MemoryConfig{Name: "gs", Lists: map[string]agonessdk.List{agoneswire.MatchesList: {Capacity: 1000}}})
	srv := httptest.NewServer(sdktest.NewSidecar(mem, sdktest.WithWatchBatch(every)))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/watch/gameserver", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	const changes = 300
	for i := range changes {
		if err := mem.AddListValue(ctx, agoneswire.MatchesList, fmt.Sprint("r", i)); err != nil {
			t.Fatal(err)
		}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		if strings.Contains(sc.Text(), fmt.Sprintf(`"r%d"`, changes-1)) {
			break
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if most := int(time.Since(start)/every) + 2; lines > most {
		t.Errorf("%d lines in %v, want at most %d", lines, time.Since(start), most)
	}
}
