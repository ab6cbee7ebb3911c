package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// dist is written by web/build.sh; web/check.sh keeps it in step with the sources.
//
//go:embed dist
var dist embed.FS

// contentTypes are set explicitly so they do not depend on the host's MIME tables.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// contentSecurityPolicy lets the page load only its own files and talk to the allocator (same origin)
// and to game servers, which live on other hosts and ports.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type asset struct {
	body []byte
	etag string
	ct   string
}

// Handler serves the client: index.html at "/", and the files it loads by name. index.html is always
// revalidated; app.js and app.css are cached for a year when asked for by the versioned URL
// (?v=<hash>) that index.html uses, and revalidated otherwise.
func Handler() http.Handler {
	assets, err := load(dist)
	if err != nil {
		// The bundle is compiled in; a broken one is a build error, not a runtime condition.
		panic(err)
	}
	return &handler{assets: assets}
}

func load(fsys fs.FS) (map[string]asset, error) {
	sub, err := fs.Sub(fsys, "dist")
	if err != nil {
		return nil, fmt.Errorf("open embedded bundle: %w", err)
	}
	assets := map[string]asset{}
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		assets["/"+name] = asset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ct: contentTypes[path.Ext(name)]}
	}
	return assets, nil
}

type handler struct {
	assets map[string]asset
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path
	if name == "/" {
		name = "/index.html"
	}
	a, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", a.ct)
	hdr.Set("ETag", a.etag)
	hdr.Set("X-Content-Type-Options", "nosniff")
	switch {
	case name == "/index.html":
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("Referrer-Policy", "no-referrer")
	case r.URL.Query().Get("v") != "":
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		hdr.Set("Cache-Control", "no-cache")
	}
	// ServeContent answers If-None-Match against the ETag set above, and Range and HEAD requests.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
