package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// bodies are the read buffers of request bodies (at most maxBodyBytes).
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeBody decodes a small JSON object strictly: unknown fields, trailing
// data and bodies over maxBodyBytes are errors. An empty body is taken as {}.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	buf := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return fmt.Errorf("%w: body larger than %d bytes", errBadRequest, maxBodyBytes)
		}
		return fmt.Errorf("%w: read body: %v", errBadRequest, err)
	}
	body := bytes.TrimSpace(buf.Bytes())
	// {} (what most clients send) sets nothing: no decoder needed.
	if len(body) == 0 || string(body) == "{}" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: body: data after the JSON object", errBadRequest)
	}
	return nil
}
