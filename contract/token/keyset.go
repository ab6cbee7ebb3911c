package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"
	"sync"
)

// MinSecretBytes is the shortest signing secret accepted: HS256 wants at
// least as many bytes as the hash is long.
const MinSecretBytes = 32

// Key is one HS256 signing key.
type Key struct {
	ID     string
	Secret []byte
}

// Keyset holds the keys that verify tokens and names the one that signs new
// ones. Rotation: add the new key, make it active, and remove the old one once
// every token it signed has expired.
type Keyset struct {
	active string
	keys   map[string][]byte
	// Per key, made once: the JWS header segment its tokens carry, and a
	// pool of keyed HMACs (keying one hashes the secret twice; a reset
	// one is keyed already). segments maps a header segment back to its key.
	headers  map[string]string
	segments map[string]string
	macs     map[string]*sync.Pool
}

// keyFile is the on-disk form, as mounted from a Kubernetes Secret:
//
//	{"active": "2026-11", "keys": [{"id": "2026-11", "secret": "<base64, >= 32 bytes>"}]}
type keyFile struct {
	Active string `json:"active"`
	Keys   []struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	} `json:"keys"`
}

// NewKeyset builds a keyset from keys; active names the signing key.
func NewKeyset(active string, keys ...Key) (*Keyset, error) {
	ks := &Keyset{active: active, keys: make(map[string][]byte, len(keys))}
	for _, k := range keys {
		if k.ID == "" {
			return nil, errors.New("key with empty id")
		}
		if len(k.Secret) < MinSecretBytes {
			return nil, fmt.Errorf("key %q: secret has %d bytes, want at least %d", k.ID, len(k.Secret), MinSecretBytes)
		}
		if _, dup := ks.keys[k.ID]; dup {
			return nil, fmt.Errorf("key %q listed twice", k.ID)
		}
		ks.keys[k.ID] = append([]byte(nil), k.Secret...)
	}
	if _, ok := ks.keys[active]; !ok {
		return nil, fmt.Errorf("active key %q is not among the keys", active)
	}
	ks.headers = make(map[string]string, len(ks.keys))
	ks.segments = make(map[string]string, len(ks.keys))
	ks.macs = make(map[string]*sync.Pool, len(ks.keys))
	for id, secret := range ks.keys {
		header, err := json.Marshal(jwsHeader{Alg: algHS256, Kid: id, Typ: "JWT"})
		if err != nil {
			return nil, fmt.Errorf("key %q: header: %w", id, err)
		}
		seg := b64.EncodeToString(header)
		ks.headers[id], ks.segments[seg] = seg, id
		ks.macs[id] = &sync.Pool{New: func() any { return hmac.New(sha256.New, secret) }}
	}
	return ks, nil
}

// ParseKeyset decodes the JSON key file format (unknown fields are errors).
func ParseKeyset(data []byte) (*Keyset, error) {
	var f keyFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode key file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode key file: data after the JSON object")
	}
	keys := make([]Key, 0, len(f.Keys))
	for _, k := range f.Keys {
		secret, err := base64.StdEncoding.DecodeString(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: secret is not base64: %w", k.ID, err)
		}
		keys = append(keys, Key{ID: k.ID, Secret: secret})
	}
	if f.Active == "" && len(keys) == 1 {
		f.Active = keys[0].ID
	}
	return NewKeyset(f.Active, keys...)
}

// LoadKeyset reads a key file from disk.
func LoadKeyset(path string) (*Keyset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	ks, err := ParseKeyset(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return ks, nil
}

// GenerateKeyset makes a one-key keyset with a random secret, for local runs
// where tokens need not outlive the process.
func GenerateKeyset(id string) (*Keyset, error) {
	secret := make([]byte, MinSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return NewKeyset(id, Key{ID: id, Secret: secret})
}

// MarshalKeyFile renders keys in the key file format, e.g. for a generated Secret.
func MarshalKeyFile(active string, keys ...Key) ([]byte, error) {
	var f keyFile
	f.Active = active
	for _, k := range keys {
		f.Keys = append(f.Keys, struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		}{k.ID, base64.StdEncoding.EncodeToString(k.Secret)})
	}
	return json.MarshalIndent(f, "", "  ")
}

// ActiveKeyID names the key that signs new tokens.
func (ks *Keyset) ActiveKeyID() string { return ks.active }

// sum appends the HMAC-SHA256 of data under key id to dst; id must be one
// of the keyset's.
func (ks *Keyset) sum(id string, dst, data []byte) []byte {
	pool := ks.macs[id]
	mac := pool.Get().(hash.Hash)
	mac.Reset()
	mac.Write(data)
	dst = mac.Sum(dst)
	pool.Put(mac)
	return dst
}
