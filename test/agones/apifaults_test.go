package agones

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	leapfrog "github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
)

// apiServerPID finds the rig's kube-apiserver process.
// stopAPIServer stops the rig's kube-apiserver (SIGSTOP) and returns what
// resumes it; the test's cleanup resumes it too, whatever happens, so the
// rig always gets its API server back. Calling resume more than once is
// fine.
func stopAPIServer(t *testing.T) (resume func()) {
	t.Helper()
	pid := apiServerPID(t)
	var once sync.Once
	resume = func() {
		once.Do(func() {
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("resume the kube-apiserver: %v", err)
			}
		})
	}
	t.Cleanup(resume)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	return resume
}

func apiServerPID(t *testing.T) int {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		// The rig's, by its port: a test API server (envtest) may run beside it.
		if argv := strings.Split(string(cmdline), "\x00"); filepath.Base(argv[0]) == "kube-apiserver" && slices.Contains(argv, "--secure-port=6443") {
			return pid
		}
	}
	t.Fatal("no kube-apiserver of the rig (--secure-port=6443) on this machine")
	return 0
}

// readyz is the status code of an allocator's /readyz.
func readyz(base string) int {
	resp, err := loopback.Get(base + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAPIServerStoppedTenSeconds stops the kube-apiserver (SIGSTOP) for 10 s
// under the main release's allocator: matches answer 503 with Retry-After,
// never 500 or a hang, /readyz fails, and both recover once the API server
// runs again, without restarting the allocator.
func TestAPIServerStoppedTenSeconds(t *testing.T) {
	s := needRig(t)
	s.waitFleetReady(t, s.main, 2, 2*time.Minute)
	base := s.main.Allocators[0].URL
	guests := make([]leapfrog.Guest, 8)
	for i := range guests {
		guests[i] = s.guest(t, s.api)
	}
	if code := readyz(base); code != http.StatusOK {
		t.Fatalf("/readyz %d before the stop", code)
	}
	resume := stopAPIServer(t)
	stopped := time.Now()

	// A match asked while the API server is stopped, and /readyz meanwhile.
	matchErr := make(chan error, 1)
	var answered time.Duration
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err := s.api.Match(ctx, guests[0].GuestToken, 1)
		answered = time.Since(stopped)
		matchErr <- err
	}()
	var notReady time.Duration
	for notReady == 0 && time.Since(stopped) < 9*time.Second {
		if readyz(base) != http.StatusOK {
			notReady = time.Since(stopped)
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if notReady == 0 {
		t.Error("/readyz kept answering 200 for 9 s with the API server stopped")
	} else {
		t.Logf("figure: /readyz failing %.1fs after the stop", notReady.Seconds())
	}
	var apiErr *leapfrog.APIError
	if notReady > 0 {
		// Known down: a match is refused at once, not after the allocation timeout.
		asked := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		_, err := s.api.Match(ctx, guests[1].GuestToken, 1)
		cancel()
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable || apiErr.RetryAfter <= 0 {
			t.Errorf("a match once /readyz fails: %v, want 503 with Retry-After", err)
		} else if time.Since(stopped) >= 10*time.Second {
			t.Errorf("a match once /readyz fails was answered only %.1fs later, after the API server came back", time.Since(asked).Seconds())
		} else {
			t.Logf("figure: once /readyz fails, a match is answered %d %s in %.0fms", apiErr.StatusCode, apiErr.Code, ms(time.Since(asked)))
		}
	}
	select {
	case err := <-matchErr:
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable || apiErr.RetryAfter <= 0 {
			t.Errorf("a match with the API server stopped: %v, want 503 with Retry-After", err)
		} else {
			t.Logf("figure: match answered %d %s (Retry-After %v) %.1fs after the stop", apiErr.StatusCode, apiErr.Code, apiErr.RetryAfter, answered.Seconds())
		}
	case <-time.After(time.Until(stopped.Add(10 * time.Second))):
		t.Log("the match was still waiting when the API server came back")
	}
	time.Sleep(time.Until(stopped.Add(10 * time.Second)))
	resume()
	back := time.Now()

	var readyAgain, matchedAgain time.Duration
	next := 2
	for deadline := back.Add(90 * time.Second); (readyAgain == 0 || matchedAgain == 0) && time.Now().Before(deadline); {
		if readyAgain == 0 && readyz(base) == http.StatusOK {
			readyAgain = time.Since(back)
		}
		if matchedAgain == 0 && next < len(guests) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			_, err := s.api.Match(ctx, guests[next].GuestToken, 1)
			cancel()
			next++
			if err == nil {
				matchedAgain = time.Since(back)
			} else if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("a match while the API server recovers: %v, want success or 503", err)
			}
		}
		time.Sleep(time.Second)
	}
	if readyAgain == 0 || matchedAgain == 0 {
		t.Fatalf("not recovered 90 s after the API server came back: /readyz after %v, a match after %v", readyAgain, matchedAgain)
	}
	t.Logf("figure: after the API server came back: /readyz 200 in %.1fs, a match in %.1fs, same allocator process",
		readyAgain.Seconds(), matchedAgain.Seconds())
}

// TestAllocatorKilledDuringBurst sends a burst of new players to two
// allocator processes of one release and SIGKILLs one of them mid-burst.
// Every player whose answer was lost asks the survivor again. In the end each
// player holds exactly one place, on the server it was told: none lost, none
// duplicated.
func TestAllocatorKilledDuringBurst(t *testing.T) {
	s := needRig(t)
	const players = 40
	rel, api := s.install(t, "killburst", s.state.Binary("race-server"),
		"autoscaler.enabled=false", "fleet.replicas="+strconv.Itoa(players/2+4),
		// Nobody connects in this test: no place may be freed as a no-show before the check.
		"race.rules.no-show-timeout=5m", "race.rules.wait-for-players=5m")
	victim := s.startAllocator(t, rel)
	apiVictim := s.apiFor(t, victim.URL)
	guests := make([]leapfrog.Guest, players)
	for i := range guests {
		guests[i] = s.guest(t, api)
	}

	var mu sync.Mutex
	told := map[string]string{} // player -> game server
	var lost []leapfrog.Guest
	var wg sync.WaitGroup
	for i, g := range guests {
		via := api
		if i%2 == 1 {
			via = apiVictim
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			m, err := via.Match(ctx, g.GuestToken, 1)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				told[g.PlayerID] = m.GameServer
			} else {
				lost = append(lost, g)
			}
		})
		if i == players/2 {
			time.Sleep(50 * time.Millisecond) // allocations in flight on both
			if err := victim.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	t.Logf("figure: burst of %d across two allocators, one SIGKILLed mid-burst: %d answered, %d lost with the process", players, len(told), len(lost))
	for _, g := range lost {
		var m leapfrog.Match
		err := rig.Poll(t.Context(), 60*time.Second, func() (bool, error) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			var err error
			m, err = api.Match(ctx, g.GuestToken, 1)
			var apiErr *leapfrog.APIError
			if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusServiceUnavailable {
				return false, nil
			}
			return err == nil, err
		}, "a match for %s from the surviving allocator", g.PlayerID)
		if err != nil {
			t.Fatal(err)
		}
		told[g.PlayerID] = m.GameServer
	}

	gss, err := rig.GameServers(t.Context(), s.admin, rel.Namespace, rel.Fleet)
	if err != nil {
		t.Fatal(err)
	}
	holds := map[string][]string{} // player -> game servers listing it
	for _, gs := range gss {
		for _, p := range gs.Players {
			holds[p] = append(holds[p], gs.Name)
		}
	}
	for _, g := range guests {
		h := holds[g.PlayerID]
		switch {
		case len(h) == 0:
			t.Errorf("%s holds no place (told %s)", g.PlayerID, told[g.PlayerID])
		case len(h) > 1:
			t.Errorf("%s holds %d places: %v", g.PlayerID, len(h), h)
		case h[0] != told[g.PlayerID]:
			t.Errorf("%s was told %s but holds its place on %s", g.PlayerID, told[g.PlayerID], h[0])
		}
	}
	if extra := len(holds) - players; extra > 0 {
		t.Errorf("%d places held by players that never asked: %v", extra, fmt.Sprint(holds))
	}
}
