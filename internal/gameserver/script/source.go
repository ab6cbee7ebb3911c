package script

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits on what a script bundle may hold, so that a bad upload is refused
// whole instead of filling memory.
const (
	MaxSourceFiles = 1000
	MaxSourceBytes = 16 << 20
)

// ErrBadSource is wrapped by every error about the script files themselves:
// missing, too large, or without the launch file.
var ErrBadSource = errors.New("bad script source")

// Source is a script bundle as GameLift takes it: the files of a folder or a
// zip, and the launch path of the module that exports ssExports.
type Source struct {
	// Files maps slash-separated paths relative to the bundle root to contents.
	Files map[string][]byte
	// Launch is the launch path, relative to the root.
	Launch string
}

// Load reads a bundle from a folder or a .zip file; launch is the launch
// path inside it (GameLift's "launch path", e.g. "index.js").
func Load(bundle, launch string) (*Source, error) {
	st, err := os.Stat(bundle)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSource, err)
	}
	src := &Source{Files: map[string][]byte{}}
	if st.IsDir() {
		err = src.readDir(bundle)
	} else {
		err = src.readZip(bundle)
	}
	if err != nil {
		return nil, err
	}
	return src.withLaunch(launch)
}

// NewSource builds a bundle from files in memory (tests, a ConfigMap read
// another way); launch must be one of them.
func NewSource(files map[string][]byte, launch string) (*Source, error) {
	src := &Source{Files: map[string][]byte{}}
	for name, b := range files {
		if err := src.add(name, b); err != nil {
			return nil, err
		}
	}
	return src.withLaunch(launch)
}

func (src *Source) withLaunch(launch string) (*Source, error) {
	l, ok := cleanPath(launch)
	if !ok {
		return nil, fmt.Errorf("%w: launch path %q must be a relative path inside the bundle", ErrBadSource, launch)
	}
	if _, found := src.Files[l]; !found {
		return nil, fmt.Errorf("%w: launch path %q is not in the bundle (%d files)", ErrBadSource, launch, len(src.Files))
	}
	src.Launch = l
	return src, nil
}

func (src *Source) add(name string, b []byte) error {
	p, ok := cleanPath(name)
	if !ok {
		return fmt.Errorf("%w: file %q is outside the bundle", ErrBadSource, name)
	}
	if len(src.Files) >= MaxSourceFiles {
		return fmt.Errorf("%w: more than %d files", ErrBadSource, MaxSourceFiles)
	}
	total := len(b)
	for _, f := range src.Files {
		total += len(f)
	}
	if total > MaxSourceBytes {
		return fmt.Errorf("%w: more than %d bytes", ErrBadSource, MaxSourceBytes)
	}
	src.Files[p] = b
	return nil
}

// cleanPath makes a bundle-relative slash path; ok is false for absolute
// paths and paths that climb out of the bundle.
func cleanPath(name string) (string, bool) {
	p := path.Clean(strings.TrimPrefix(filepath.ToSlash(name), "./"))
	if p == "." || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

func (src *Source) readDir(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBadSource, err)
		}
		// ConfigMap volumes hold ..data and timestamped folders of symlinks:
		// read the files once, through the visible names.
		if d.IsDir() && strings.HasPrefix(d.Name(), "..") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		st, err := os.Stat(p) // follows symlinks
		if err != nil || st.IsDir() {
			return nil
		}
		if st.Size() > MaxSourceBytes {
			return fmt.Errorf("%w: %s is larger than %d bytes", ErrBadSource, p, MaxSourceBytes)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBadSource, err)
		}
		rel, _ := filepath.Rel(dir, p)
		return src.add(rel, b)
	})
}

func (src *Source) readZip(file string) error {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadSource, file, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if f.UncompressedSize64 > MaxSourceBytes {
			return fmt.Errorf("%w: %s in %s is larger than %d bytes", ErrBadSource, f.Name, file, MaxSourceBytes)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%w: %s in %s: %v", ErrBadSource, f.Name, file, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, MaxSourceBytes+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%w: %s in %s: %v", ErrBadSource, f.Name, file, err)
		}
		if err := src.add(f.Name, b); err != nil {
			return err
		}
	}
	return nil
}
