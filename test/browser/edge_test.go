package browser

import (
	"crypto/tls"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOnlineRaceOverHTTPSThroughTheEdge races two tabs on an https:// page whose races go over wss://
// through the edge, all on the allocator's one origin (make run-https). Chromium accepts the
// allocator's self-signed certificate because it runs with --ignore-certificate-errors; the page
// itself is unchanged: it opens the ws_url the match hands out.
func TestOnlineRaceOverHTTPSThroughTheEdge(t *testing.T) {
	args := append([]string{"--listen=127.0.0.1:0", "--backend=local", "--log-level=info",
		"--local-buffer=2", "--local-min=2", "--local-max=6", "--local-edge", "--tls-self-signed"}, fastRules...)
	p := startProcess(t, "allocator", allocatorBin, args...)
	addr, _ := p.waitLog(t, "allocator starting")["listen"].(string)
	if addr == "" {
		t.Fatal("the allocator logged no listen address")
	}
	base := "https://" + addr + "/"
	// The test's own HTTP calls skip verification; Chromium is the one that must get through TLS.
	insecure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(waitTimeout)
	for {
		resp, err := insecure.Get(base + "healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%shealthz never answered 200: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	b := newBrowser(t, chromedp.Flag("ignore-certificate-errors", true))
	tabs := []*tab{b.newTab(t, "tab 1"), b.newTab(t, "tab 2")}
	for _, tb := range tabs {
		tb.open(base)
		if proto := eval[string](tb, "location.protocol"); proto != "https:" {
			t.Fatalf("%s: the page is on %s, want https:", tb.name, proto)
		}
	}
	for _, tb := range tabs {
		tb.click("online")
	}
	final := playRace(t, []*hopper{{tab: tabs[0], key: space, lane: -1}, {tab: tabs[1], key: space, lane: -1}}, nil)
	s1, s2 := final[tabs[0]], final[tabs[1]]
	for i, st := range []raceState{s1, s2} {
		if st.Mode != "online" || st.Reason != "finish" || st.Winner == nil {
			t.Fatalf("%s: want an online race won at the line, got %v", tabs[i].name, st)
		}
	}
	if s1.GameServer == "" || s1.GameServer != s2.GameServer {
		t.Errorf("the tabs raced on %q and %q, want the same race server", s1.GameServer, s2.GameServer)
	}

	// Both players went through the edge: the only way to the race server from an https:// page.
	resp, err := insecure.Get(base + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`leapfrog_edge_connections_total\{outcome="relayed"\} (\d+)`).FindSubmatch(body)
	if m == nil {
		t.Fatal("/metrics has no relayed edge connections")
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 2 {
		t.Errorf("%d connections relayed by the edge, want at least 2 (one per tab)", n)
	}
	t.Logf("figure: connections relayed over wss:// by the edge: %s", m[1])
}
