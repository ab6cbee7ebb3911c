package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// gRPC status codes, as the sidecar's REST gateway puts them in error bodies.
const (
	codeUnknown         = 2
	codeInvalidArgument = 3
	codeNotFound        = 5
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// Sidecar is an http.Handler with the REST API of the Agones SDK sidecar,
// backed by a Memory. Answers follow the real sidecar: 200 with JSON in
// protobuf's snake_case form and int64 values as strings; errors as HTTP 500
// (400 for malformed requests) with {"code":2,"message":"...","details":[]};
// POST /health with no body is a bare 400, and each JSON object in its body
// counts as one ping; GET /watch/gameserver streams one {"result":...} line
// per change, flushed at once.
type Sidecar struct {
	mem        *agonessdk.Memory
	mux        *http.ServeMux
	watchBatch time.Duration
}

// SidecarOption configures a Sidecar.
type SidecarOption func(*Sidecar)

// WithWatchBatch makes the watch stream send at most one GameServer per d,
// the latest, as the real sidecar batches the changes it applies: a load
// test whose GameServer holds thousands of matches keeps the stream (and its
// encoding) to a few lines a second. 0, the default, sends every change.
func WithWatchBatch(d time.Duration) SidecarOption { return func(s *Sidecar) { s.watchBatch = d } }

// NewSidecar returns the REST API of mem.
func NewSidecar(mem *agonessdk.Memory, opts ...SidecarOption) *Sidecar {
	s := &Sidecar{mem: mem, mux: http.NewServeMux()}
	for _, o := range opts {
		o(s)
	}
	empty := func(f func(context.Context) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var in struct{}
			if !decode(w, r, &in) {
				return
			}
			s.reply(w, struct{}{}, f(r.Context()))
		}
	}
	s.mux.HandleFunc("POST /ready", empty(mem.Ready))
	s.mux.HandleFunc("POST /allocate", empty(mem.Allocate))
	s.mux.HandleFunc("POST /shutdown", empty(mem.Shutdown))
	s.mux.HandleFunc("POST /health", s.health)
	s.mux.HandleFunc("POST /reserve", s.reserve)
	s.mux.HandleFunc("GET /gameserver", s.gameServer)
	s.mux.HandleFunc("GET /watch/gameserver", s.watch)
	s.mux.HandleFunc("PUT /metadata/label", s.metadata(mem.SetLabel))
	s.mux.HandleFunc("PUT /metadata/annotation", s.metadata(mem.SetAnnotation))
	s.mux.HandleFunc("GET /v1beta1/lists/{name}", s.getList)
	s.mux.HandleFunc("POST /v1beta1/lists/{action}", s.listAction)
	s.mux.HandleFunc("PATCH /v1beta1/lists/{name}", s.patchList)
	s.mux.HandleFunc("GET /v1beta1/counters/{name}", s.getCounter)
	s.mux.HandleFunc("PATCH /v1beta1/counters/{name}", s.patchCounter)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound, "Not Found")
	})
	return s
}

// ServeHTTP serves the sidecar's REST API.
func (s *Sidecar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Sidecar) health(w http.ResponseWriter, r *http.Request) {
	// The real sidecar turns a request without a body away before its
	// gateway sees it: 400, no body, no content type.
	if r.Body == http.NoBody {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	// The gateway feeds the client stream one message per JSON object.
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	for {
		var ping struct{}
		err := dec.Decode(&ping)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, codeInvalidArgument, err.Error())
			return
		}
		if err := s.mem.Health(r.Context()); err != nil {
			s.reply(w, nil, err)
			return
		}
	}
	s.reply(w, struct{}{}, nil)
}

func (s *Sidecar) reserve(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Seconds agonessdk.Int64 `json:"seconds"`
	}
	if !decode(w, r, &in) {
		return
	}
	s.reply(w, struct{}{}, s.mem.Reserve(r.Context(), time.Duration(in.Seconds)*time.Second))
}

func (s *Sidecar) gameServer(w http.ResponseWriter, r *http.Request) {
	gs, err := s.mem.GameServer(r.Context())
	s.reply(w, gs, err)
}

func (s *Sidecar) watch(w http.ResponseWriter, r *http.Request) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Grpc-Metadata-Content-Type", "application/grpc")
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	enc := json.NewEncoder(w) // Encode ends each value with '\n'
	_ = s.mem.WatchGameServer(ctx, func(gs *agonessdk.GameServer) {
		if err := enc.Encode(struct {
			Result *agonessdk.GameServer `json:"result"`
		}{gs}); err != nil {
			cancel()
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		if s.watchBatch > 0 { // changes meanwhile coalesce in the Memory
			t := time.NewTimer(s.watchBatch)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
	})
}

func (s *Sidecar) metadata(set func(ctx context.Context, key, value string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		}
		if !decode(w, r, &in) {
			return
		}
		s.reply(w, struct{}{}, set(r.Context(), in.Key, in.Value))
	}
}

func (s *Sidecar) getList(w http.ResponseWriter, r *http.Request) {
	l, err := s.mem.GetList(r.Context(), r.PathValue("name"))
	s.reply(w, l, err)
}

// listAction serves POST /v1beta1/lists/{name}:addValue and :removeValue.
func (s *Sidecar) listAction(w http.ResponseWriter, r *http.Request) {
	name, action, _ := strings.Cut(r.PathValue("action"), ":")
	var op func(context.Context, string, string) error
	switch action {
	case "addValue":
		op = s.mem.AddListValue
	case "removeValue":
		op = s.mem.RemoveListValue
	default:
		writeError(w, http.StatusNotFound, codeNotFound, "Not Found")
		return
	}
	var in struct {
		Value string `json:"value"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := op(r.Context(), name, in.Value); err != nil {
		s.reply(w, nil, err)
		return
	}
	// The real sidecar answers with the list as it sees it then (for a
	// removal, sometimes as it was before); this one answers with the list
	// after the change.
	l, err := s.mem.GetList(r.Context(), name)
	s.reply(w, l, err)
}

func (s *Sidecar) patchList(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var in struct {
		Capacity *agonessdk.Int64 `json:"capacity"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Capacity == nil {
		writeError(w, http.StatusBadRequest, codeInvalidArgument, "invalid argument. only capacity can be updated")
		return
	}
	if err := s.mem.SetListCapacity(r.Context(), name, int64(*in.Capacity)); err != nil {
		s.reply(w, nil, err)
		return
	}
	l, err := s.mem.GetList(r.Context(), name)
	s.reply(w, l, err)
}

func (s *Sidecar) getCounter(w http.ResponseWriter, r *http.Request) {
	c, err := s.mem.GetCounter(r.Context(), r.PathValue("name"))
	s.reply(w, c, err)
}

func (s *Sidecar) patchCounter(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var in struct {
		Count     *agonessdk.Int64 `json:"count"`
		Capacity  *agonessdk.Int64 `json:"capacity"`
		CountDiff agonessdk.Int64  `json:"countDiff"`
	}
	if !decode(w, r, &in) {
		return
	}
	// The same order as the sidecar: capacity, then count, then the diff.
	var err error
	if in.Capacity != nil {
		err = s.mem.SetCounterCapacity(r.Context(), name, int64(*in.Capacity))
	}
	if err == nil && in.Count != nil {
		err = s.mem.SetCounterCount(r.Context(), name, int64(*in.Count))
	}
	if err == nil && in.CountDiff != 0 {
		err = s.mem.IncrementCounter(r.Context(), name, int64(in.CountDiff))
	}
	if err != nil {
		s.reply(w, nil, err)
		return
	}
	c, err := s.mem.GetCounter(r.Context(), name)
	s.reply(w, c, err)
}

// decode reads a JSON request body into v; an empty body leaves v as it is,
// as the gateway does. It answers 400 and returns false on malformed JSON.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(v)
	if err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return false
	}
	return true
}

// reply writes v as a 200 answer, or err as the gateway would.
func (s *Sidecar) reply(w http.ResponseWriter, v any, err error) {
	switch {
	case errors.Is(err, agonessdk.ErrInvalidArgument):
		writeError(w, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, codeUnknown, err.Error())
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeUnknown, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Grpc-Metadata-Content-Type", "application/grpc")
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	b, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Details []any  `json:"details"`
	}{code, msg, []any{}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
