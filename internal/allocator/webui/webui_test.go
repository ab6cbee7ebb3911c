package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler())
	t.Cleanup(srv.Close)

	tests := []struct {
		name        string
		method      string
		path        string
		wantStatus  int
		wantType    string
		wantCache   string
		wantContain string
	}{
		{"index at root", http.MethodGet, "/", http.StatusOK, "text/html; charset=utf-8", "no-cache", `id="online"`},
		{"index by name", http.MethodGet, "/index.html", http.StatusOK, "text/html; charset=utf-8", "no-cache", `src="app.js?v=`},
		{"script, versioned", http.MethodGet, "/app.js?v=abc", http.StatusOK, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "leapfrog"},
		{"script, plain", http.MethodGet, "/app.js", http.StatusOK, "text/javascript; charset=utf-8", "no-cache", "leapfrog"},
		{"stylesheet", http.MethodGet, "/app.css", http.StatusOK, "text/css; charset=utf-8", "no-cache", "#status"},
		{"head", http.MethodHead, "/", http.StatusOK, "text/html; charset=utf-8", "no-cache", ""},
		{"unknown file", http.MethodGet, "/nope.js", http.StatusNotFound, "", "", ""},
		{"post", http.MethodPost, "/", http.StatusMethodNotAllowed, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if tt.wantType != "" {
				if got := res.Header.Get("Content-Type"); got != tt.wantType {
					t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
				}
				if got := res.Header.Get("Cache-Control"); got != tt.wantCache {
					t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
				}
				if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
				}
			}
			if tt.wantContain != "" && !strings.Contains(string(body), tt.wantContain) {
				t.Errorf("body does not contain %q", tt.wantContain)
			}
		})
	}
}

func TestHandlerRevalidates(t *testing.T) {
	srv := httptest.NewServer(Handler())
	t.Cleanup(srv.Close)

	res, err := http.Get(srv.URL + "/app.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on /app.js")
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("status = %d, want %d", res.StatusCode, http.StatusNotModified)
	}
}

func TestIndexReferencesCurrentBundle(t *testing.T) {
	h := Handler().(*handler)
	index := string(h.assets["/index.html"].body)
	for _, name := range []string{"app.js?v=", "app.css?v="} {
		if !strings.Contains(index, name) {
			t.Errorf("index.html does not load %s", name)
		}
	}
	if strings.Contains(index, "__APP_") {
		t.Error("index.html still has a version placeholder: build it with web/build.sh")
	}
}
