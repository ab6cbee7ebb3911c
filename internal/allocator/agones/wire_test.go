package agones

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// The captures of real Agones v1.60 traffic live in the shared folder beside
// the repository; see its README.
var wireDir = filepath.Join("..", "..", "..", "..", "shared", "agones", "wire")

type capture struct {
	status int
	body   []byte
}

// readCapture reads a raw HTTP response capture: status line, headers, a
// blank line and the JSON body.
func readCapture(t *testing.T, name string) capture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(wireDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("no Agones wire captures at %s (shared folder absent): %v", wireDir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := bytes.Cut(data, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("%s: no blank line after the headers", name)
	}
	statusLine, _, _ := strings.Cut(string(head), "\r\n")
	fields := strings.Fields(statusLine)
	if len(fields) < 2 {
		t.Fatalf("%s: status line %q", name, statusLine)
	}
	status, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatalf("%s: status line %q: %v", name, statusLine, err)
	}
	return capture{status: status, body: bytes.TrimSpace(body)}
}

func testScheme(t testing.TB) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := agonesv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCapturedResponsesDecode(t *testing.T) {
	tests := []struct {
		file        string
		wantState   agonesv1.GameServerAllocationState
		wantName    string
		wantPort    int32
		wantAddress string
		wantPlayers []string
	}{
		{"gsa-allocated-q1.http", agonesv1.GameServerAllocationAllocated, "standin-56jvc-bsm2q", 7103, "127.0.0.1", []string{"p1", "q1"}},
		{"gsa-reallocated-q2.http", agonesv1.GameServerAllocationAllocated, "standin-56jvc-655mv", 7155, "127.0.0.1", []string{"q2"}},
		{"gsa-allocated-q3-next.http", agonesv1.GameServerAllocationAllocated, "standin-56jvc-655mv", 7155, "127.0.0.1", []string{"q2", "q3"}},
		{"gsa-unallocated-nofleet.http", agonesv1.GameServerAllocationUnAllocated, "", 0, "", nil},
	}
	decoder := serializer.NewCodecFactory(testScheme(t)).UniversalDeserializer()
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := readCapture(t, tt.file)
			// The way the Kubernetes client decodes: by apiVersion and kind.
			obj, gvk, err := decoder.Decode(c.body, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if *gvk != agonesv1.AllocationGroupVersion.WithKind("GameServerAllocation") {
				t.Errorf("decoded as %v", gvk)
			}
			gsa, ok := obj.(*agonesv1.GameServerAllocation)
			if !ok {
				t.Fatalf("decoded into %T", obj)
			}
			st := gsa.Status
			if st.State != tt.wantState || st.GameServerName != tt.wantName || st.Address != tt.wantAddress {
				t.Errorf("status %+v", st)
			}
			if tt.wantPort != 0 {
				if len(st.Ports) != 1 || st.Ports[0] != (agonesv1.GameServerPort{Name: "default", Port: tt.wantPort}) {
					t.Errorf("ports %+v", st.Ports)
				}
				if l := st.Lists[agoneswire.PlayersList]; l.Capacity != 2 || strings.Join(l.Values, ",") != strings.Join(tt.wantPlayers, ",") {
					t.Errorf("players list %+v, want capacity 2 and %v", l, tt.wantPlayers)
				}
				if len(st.Addresses) == 0 || st.NodeName == "" || st.Source != "local" || st.Metadata == nil || st.Metadata.Labels[agoneswire.FleetLabel] != "standin" {
					t.Errorf("status details not decoded: %+v", st)
				}
			}
			// The spec the API server echoes decodes too.
			if len(gsa.Spec.Selectors) != 2 || gsa.Spec.Selectors[0].Lists[agoneswire.PlayersList].MinAvailable != 1 {
				t.Errorf("spec %+v", gsa.Spec)
			}
		})
	}
}

// capturedSpec is the request's spec as the API server echoed it back, with
// defaults filled in: a superset of what was sent.
func capturedSpec(t *testing.T, c capture) map[string]any {
	t.Helper()
	var resp struct {
		Spec map[string]any `json:"spec"`
	}
	if err := json.Unmarshal(c.body, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Spec
}

// checkRequestSpec compares a spec the allocator sent with a captured one.
// The captures were made with two selectors (Allocated with room, then
// Ready); the allocator sends a third one first (containsValue), so: our
// selectors 2 and 3 must be contained, values included, in the captured 1 and
// 2, our selector 1 may only use field names the captured ones have, and
// everything else must be contained in the captured spec.
func checkRequestSpec(sent, captured map[string]any) error {
	ourSels, _ := sent["selectors"].([]any)
	// matchExpressions (keeping finished matches out) is the Kubernetes
	// LabelSelector's own field, embedded in Agones' selector; the captures
	// did not use it, so check it against the Kubernetes type instead.
	for i, sel := range ourSels {
		m, _ := sel.(map[string]any)
		exprs, ok := m["matchExpressions"]
		if !ok {
			continue
		}
		raw, err := json.Marshal(exprs)
		if err != nil {
			return err
		}
		var reqs []metav1.LabelSelectorRequirement
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&reqs); err != nil {
			return fmt.Errorf("selectors[%d].matchExpressions: %w", i, err)
		}
		clone := maps.Clone(m)
		delete(clone, "matchExpressions")
		ourSels[i] = clone
	}
	theirSels, _ := captured["selectors"].([]any)
	if len(ourSels) != 3 || len(theirSels) != 2 {
		return fmt.Errorf("selectors: sent %d, captured %d", len(ourSels), len(theirSels))
	}
	if err := sameNames(ourSels[0], theirSels[0], "selectors[0]"); err != nil {
		return err
	}
	for i, j := range map[int]int{1: 0, 2: 1} {
		if err := contained(ourSels[i], theirSels[j], fmt.Sprintf("selectors[%d]", i)); err != nil {
			return err
		}
	}
	for k, v := range sent {
		if k == "selectors" {
			continue
		}
		if err := contained(v, captured[k], k); err != nil {
			return err
		}
	}
	return nil
}

// contained reports whether every field of ours is in theirs with the same value.
func contained(ours, theirs any, path string) error {
	switch o := ours.(type) {
	case map[string]any:
		t, ok := theirs.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: sent an object, captured %T", path, theirs)
		}
		for k, v := range o {
			tv, ok := t[k]
			if !ok {
				return fmt.Errorf("%s.%s: not a field Agones knows", path, k)
			}
			if err := contained(v, tv, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		t, ok := theirs.([]any)
		if !ok || len(t) != len(o) {
			return fmt.Errorf("%s: sent %v, captured %v", path, ours, theirs)
		}
		for i := range o {
			if err := contained(o[i], t[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		if ours != theirs {
			return fmt.Errorf("%s: sent %v, captured %v", path, ours, theirs)
		}
	}
	return nil
}

// sameNames is contained without comparing scalar values.
func sameNames(ours, theirs any, path string) error {
	switch o := ours.(type) {
	case map[string]any:
		t, ok := theirs.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: sent an object, captured %T", path, theirs)
		}
		for k, v := range o {
			tv, ok := t[k]
			if !ok {
				return fmt.Errorf("%s.%s: not a field Agones knows", path, k)
			}
			if err := sameNames(v, tv, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		t, ok := theirs.([]any)
		if !ok || len(t) == 0 {
			return fmt.Errorf("%s: sent a list, captured %v", path, theirs)
		}
		for i := range o {
			if err := sameNames(o[i], t[0], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestRequestUsesAgonesFieldNames(t *testing.T) {
	c := readCapture(t, "gsa-allocated-q1.http")
	a, err := New(fake.NewClientBuilder().Build(), Config{Namespace: "default", Fleet: "standin", PortName: "default"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, spec := sentSpec(t, a.allocation([]string{"q1"}))
	if err := checkRequestSpec(spec, capturedSpec(t, c)); err != nil {
		t.Errorf("%v\nsent:     %s\ncaptured: %s", err, raw, c.body)
	}

	t.Run("the check catches a misspelt field", func(t *testing.T) {
		bad := a.allocation([]string{"q1"})
		raw, err := json.Marshal(bad)
		if err != nil {
			t.Fatal(err)
		}
		raw = bytes.Replace(raw, []byte(`"minAvailable"`), []byte(`"min_available"`), 1)
		var sent struct {
			Spec map[string]any `json:"spec"`
		}
		if err := json.Unmarshal(raw, &sent); err != nil {
			t.Fatal(err)
		}
		if checkRequestSpec(sent.Spec, capturedSpec(t, c)) == nil {
			t.Error("a field Agones does not know passed")
		}
	})
}

// fakeAPIServer answers GameServerAllocation creates on 127.0.0.1 with the
// captured response answer, after checking the request against the spec
// captured in accepted.
func fakeAPIServer(t *testing.T, accepted, answer capture) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const path = "/apis/allocation.agones.dev/v1/namespaces/default/gameserverallocations"
		if r.Method != http.MethodPost || r.URL.Path != path {
			t.Errorf("request %s %s, want POST %s", r.Method, r.URL.Path, path)
			http.NotFound(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		var sent struct {
			APIVersion string         `json:"apiVersion"`
			Kind       string         `json:"kind"`
			Spec       map[string]any `json:"spec"`
		}
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Errorf("request body %s: %v", body, err)
		}
		if sent.APIVersion != "allocation.agones.dev/v1" || sent.Kind != "GameServerAllocation" {
			t.Errorf("sent apiVersion %q kind %q", sent.APIVersion, sent.Kind)
		}
		if err := checkRequestSpec(sent.Spec, capturedSpec(t, accepted)); err != nil {
			t.Errorf("request does not match the capture: %v\nsent: %s", err, body)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(answer.status)
		_, _ = w.Write(answer.body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestKubernetesClientAgainstCapturedResponses drives a real controller-runtime
// client against an API server that answers with the captured responses.
func TestKubernetesClientAgainstCapturedResponses(t *testing.T) {
	tests := []struct {
		file    string
		fleet   string
		player  string
		want    backend.Assignment
		wantErr func(error) bool
	}{
		{file: "gsa-allocated-q1.http", fleet: "standin", player: "q1",
			want: backend.Assignment{GameServer: "standin-56jvc-bsm2q", Address: "127.0.0.1", Port: 7103, Joined: true}},
		{file: "gsa-reallocated-q2.http", fleet: "standin", player: "q2",
			want: backend.Assignment{GameServer: "standin-56jvc-655mv", Address: "127.0.0.1", Port: 7155, Joined: false}},
		{file: "gsa-allocated-q3-next.http", fleet: "standin", player: "q3",
			want: backend.Assignment{GameServer: "standin-56jvc-655mv", Address: "127.0.0.1", Port: 7155, Joined: true}},
		{file: "gsa-unallocated-nofleet.http", fleet: "nosuchfleet", player: "q4",
			wantErr: func(err error) bool { return errors.Is(err, backend.ErrNoCapacity) }},
		{file: "gsa-invalid-body.http", fleet: "standin", player: "q1",
			wantErr: func(err error) bool { return apierrors.IsInvalid(err) && !errors.Is(err, backend.ErrNoCapacity) }},
	}
	scheme := testScheme(t)
	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{agonesv1.AllocationGroupVersion})
	mapper.Add(agonesv1.AllocationGroupVersion.WithKind("GameServerAllocation"), meta.RESTScopeNamespace)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			answer := readCapture(t, tt.file)
			accepted := answer
			if answer.status != http.StatusCreated {
				// An error echoes no spec: check the request against an accepted one.
				accepted = readCapture(t, "gsa-allocated-q1.http")
			}
			srv := fakeAPIServer(t, accepted, answer)
			runAgainst(t, srv.URL, scheme, mapper, tt.fleet, tt.player, tt.want, tt.wantErr)
		})
	}
}

func runAgainst(t *testing.T, url string, scheme *runtime.Scheme, mapper meta.RESTMapper, fleet, player string, want backend.Assignment, wantErr func(error) bool) {
	t.Helper()
	kc, err := client.New(&rest.Config{Host: url}, client.Options{Scheme: scheme, Mapper: mapper})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(kc, Config{Namespace: "default", Fleet: fleet, PortName: "default"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{player}})
	if wantErr != nil {
		if err == nil || !wantErr(err) {
			t.Fatalf("err %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestLeaseRequestUsesAgonesFieldNames: the lease allocation uses only
// fields the captured requests have (spec.metadata, which the captures left
// empty, is Agones' MetaPatch: labels and annotations).
func TestLeaseRequestUsesAgonesFieldNames(t *testing.T) {
	c := readCapture(t, "gsa-allocated-q1.http")
	fc := newFakeCluster(t, "standin", 0, 4)
	l := newTestLeaser(t, fc, "alloc-a", 4, newFakeClock(), nil)
	raw, spec := sentSpec(t, l.leaseAllocation(time.Now(), "", false))
	sent := struct{ Spec map[string]any }{spec}
	captured := capturedSpec(t, c)
	md, _ := sent.Spec["metadata"].(map[string]any)
	if _, ok := captured["metadata"]; !ok || len(md) != 2 || md["labels"] == nil || md["annotations"] == nil {
		t.Errorf("spec.metadata %v (captured %v)", md, captured["metadata"])
	}
	delete(sent.Spec, "metadata")
	sels, _ := sent.Spec["selectors"].([]any)
	if len(sels) != 1 {
		t.Fatalf("selectors %v", sels)
	}
	sel := sels[0].(map[string]any)
	delete(sel, "matchExpressions") // Kubernetes' own LabelSelector field, checked with the players selectors
	// The captures select on the list "players": the same fields, another key.
	sel["lists"] = map[string]any{agoneswire.PlayersList: sel["lists"].(map[string]any)[agoneswire.MatchesList]}
	theirs := captured["selectors"].([]any)
	if err := sameNames(sel, theirs[1], "selectors[0]"); err != nil {
		t.Error(err)
	}
	delete(sent.Spec, "selectors")
	if err := contained(sent.Spec, captured, "spec"); err != nil {
		t.Errorf("%v\nsent: %s", err, raw)
	}
}

// sentSpec is the spec of gsa as sent on the wire, and the whole JSON.
func sentSpec(t *testing.T, gsa *agonesv1.GameServerAllocation) ([]byte, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(gsa)
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Spec map[string]any `json:"spec"`
	}
	if err := json.Unmarshal(raw, &sent); err != nil {
		t.Fatal(err)
	}
	return raw, sent.Spec
}
