package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// binaries are the image's programs: `make build` output -> package (docs/contracts.md).
var binaries = map[string]string{
	"bin/race-server": "./gameserver/cmd/race-server",
	"bin/allocator":   "./allocator/cmd/allocator",
	"bin/bot":         "./test/bot",
	"bin/edge":        "./edge/cmd/edge",
}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd   string // upper case: FROM, RUN, COPY...
	args  string
	stage int // index of the FROM it belongs to
}

func parseDockerfile(t testing.TB) []instruction {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		out   []instruction
		line  strings.Builder
		stage = -1
	)
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "#") || (text == "" && line.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(text, `\`); ok {
			line.WriteString(cont + " ")
			continue
		}
		line.WriteString(text)
		full := strings.TrimSpace(line.String())
		line.Reset()
		if full == "" {
			continue
		}
		cmd, args, _ := strings.Cut(full, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{cmd: cmd, args: strings.TrimSpace(args), stage: stage})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// goBuild is one `go build -o OUT PKG` found in a RUN line.
type goBuild struct {
	out, pkg string
	flags    []string // the flags between "go build" and the package
}

var goBuildRE = regexp.MustCompile(`go build ((?:[^&;|]*?\s)?)-o\s+(\S+)\s+(\./\S+)`)

// dockerfileBuilds returns the go build commands of the build stage, the stage's working directory and
// its environment (ENV lines).
func dockerfileBuilds(t testing.TB, ins []instruction) (builds []goBuild, workdir string, env map[string]string) {
	t.Helper()
	env = map[string]string{}
	for _, in := range ins {
		switch in.cmd {
		case "WORKDIR":
			workdir = in.args
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					env[k] = v
				}
			}
		case "RUN":
			for _, m := range goBuildRE.FindAllStringSubmatch(in.args, -1) {
				builds = append(builds, goBuild{out: m[2], pkg: m[3], flags: splitShellWords(m[1])})
			}
		}
	}
	return builds, workdir, env
}

// splitShellWords splits flags, keeping quoted parts (-ldflags="-s -w") together and unquoted.
func splitShellWords(s string) []string {
	var (
		words []string
		cur   strings.Builder
		quote rune
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote = r
		case quote == 0 && (r == ' ' || r == '\t'):
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

// TestDockerfile checks the image recipe: static builds of the binaries at the paths `make build`
// uses, copied into a distroless nonroot image that needs no shell.
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t)
	builds, workdir, env := dockerfileBuilds(t, ins)

	t.Run("builds the contract binaries", func(t *testing.T) {
		got := map[string]string{}
		for _, b := range builds {
			got[b.out] = b.pkg
		}
		if !maps.Equal(got, binaries) {
			t.Errorf("Dockerfile builds %v, want %v", got, binaries)
		}
	})

	t.Run("static", func(t *testing.T) {
		if env["CGO_ENABLED"] != "0" {
			t.Errorf("the build stage does not set ENV CGO_ENABLED=0 (env %v)", env)
		}
	})

	last := ins[len(ins)-1].stage
	args := map[string]string{}
	for _, in := range ins {
		if in.cmd == "ARG" {
			if k, v, ok := strings.Cut(in.args, "="); ok {
				args[k] = v
			}
		}
	}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string { return args[k] })
	}

	t.Run("distroless nonroot base without a shell", func(t *testing.T) {
		for _, in := range ins {
			if in.stage != last {
				continue
			}
			switch in.cmd {
			case "FROM":
				base := expand(in.args)
				if !strings.HasPrefix(base, "gcr.io/distroless/static") || !strings.HasSuffix(base, ":nonroot") {
					t.Errorf("final base %q, want gcr.io/distroless/static*:nonroot", base)
				}
			case "RUN":
				t.Errorf("the final stage runs %q: it has no shell", in.args)
			case "USER":
				if in.args != "65532:65532" {
					t.Errorf("USER %s, want the distroless nonroot ids 65532:65532", in.args)
				}
			case "ENTRYPOINT", "CMD":
				var argv []string
				if err := json.Unmarshal([]byte(in.args), &argv); err != nil {
					t.Errorf("%s %s is not in exec form: a shell form needs /bin/sh", in.cmd, in.args)
				}
			}
		}
	})

	t.Run("copies what it built", func(t *testing.T) {
		copied := map[string]string{} // image path -> build output, relative to the build WORKDIR
		for _, in := range ins {
			if in.cmd != "COPY" || in.stage != last {
				continue
			}
			fields := strings.Fields(in.args)
			if len(fields) != 3 || !strings.HasPrefix(fields[0], "--from=") {
				t.Errorf("COPY %s: want COPY --from=<build stage> <binary> <path>", in.args)
				continue
			}
			rel, err := filepath.Rel(workdir, fields[1])
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("COPY %s does not copy from the build directory %s", in.args, workdir)
				continue
			}
			copied[fields[2]] = rel
		}
		want := map[string]string{}
		for out := range binaries {
			want["/"+path.Base(out)] = out
		}
		if !maps.Equal(copied, want) {
			t.Errorf("final stage copies %v, want %v", copied, want)
		}
	})

	t.Run("OCI labels", func(t *testing.T) {
		var labels string
		for _, in := range ins {
			if in.cmd == "LABEL" && in.stage == last {
				labels += in.args + " "
			}
		}
		for _, key := range []string{"title", "description", "source", "version", "revision", "created"} {
			if !strings.Contains(labels, "org.opencontainers.image."+key+"=") {
				t.Errorf("no org.opencontainers.image.%s label", key)
			}
		}
	})

	t.Run("matches make build", func(t *testing.T) {
		root := repoRoot(t)
		cmd := exec.Command("make", "-n", "build")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			if bytes.Contains(out, []byte("No rule to make target")) {
				t.Skipf("skipping: the Makefile has no build target yet (make -n build: %s)", bytes.TrimSpace(out))
			}
			t.Fatalf("make -n build: %v\n%s", err, out)
		}
		dockerFlags := map[string][]string{}
		for _, b := range builds {
			dockerFlags[b.out] = b.flags
		}
		got := map[string]string{}
		for _, m := range goBuildRE.FindAllStringSubmatch(string(out), -1) {
			rel := m[2]
			if filepath.IsAbs(rel) {
				if r, err := filepath.Rel(root, rel); err == nil {
					rel = r
				}
			}
			rel = filepath.ToSlash(rel)
			got[rel] = m[3]
			if flags := splitShellWords(m[1]); !slices.Equal(flags, dockerFlags[rel]) {
				t.Errorf("%s: make build passes %q, the Dockerfile %q", rel, flags, dockerFlags[rel])
			}
		}
		if !maps.Equal(got, binaries) {
			t.Errorf("make build produces %v, the Dockerfile %v:\n%s", got, binaries, out)
		}
		if !bytes.Contains(out, []byte("CGO_ENABLED=0")) {
			t.Errorf("make build does not set CGO_ENABLED=0:\n%s", out)
		}
	})
}

// TestImageBinaries builds each binary as the Dockerfile does, checks with debug/elf that it is statically
// linked (distroless/static has no libc), and that it accepts every flag the chart passes it. The sum of the
// sizes is the image's payload.
func TestImageBinaries(t *testing.T) {
	builds, _, _ := dockerfileBuilds(t, parseDockerfile(t))
	if len(builds) == 0 {
		t.Fatal("no go build in the Dockerfile")
	}
	root := repoRoot(t)
	chartFlags := renderedFlags(t)
	dir := t.TempDir()
	var total int64
	built := 0
	for _, b := range builds {
		name := path.Base(b.out)
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(root, b.pkg)); err != nil {
				t.Skipf("skipping: package %s is not in the tree yet", b.pkg)
			}
			out := filepath.Join(dir, name)
			args := append(append([]string{"build"}, b.flags...), "-o", out, b.pkg)
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
			}
			info, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkStatic(out); err != nil {
				t.Error(err)
			}
			total += info.Size()
			built++
			t.Logf("%s: %.1f MiB, static", b.out, float64(info.Size())/(1<<20))

			if chartFlags == nil {
				return
			}
			// The flags the binary defines, read from its usage text.
			usage, _ := exec.Command(out, "-h").CombinedOutput()
			defined := map[string]bool{}
			for _, m := range regexp.MustCompile(`(?m)^\s+--?([a-z0-9][a-z0-9-]*)`).FindAllStringSubmatch(string(usage), -1) {
				defined[m[1]] = true
			}
			if len(defined) == 0 {
				t.Fatalf("%s -h lists no flags:\n%s", name, usage)
			}
			for _, flag := range slices.Sorted(maps.Keys(chartFlags[name])) {
				if !defined[flag] {
					t.Errorf("the chart passes --%s to %s, which does not define it", flag, name)
				}
			}
		})
	}
	if built > 0 {
		t.Logf("image payload: %.1f MiB in %d of %d binaries (plus about 2 MiB of distroless/static)",
			float64(total)/(1<<20), built, len(builds))
	}
}

// renderedFlags collects, over every value set, the flags the chart passes to each binary. It returns nil
// when Helm is not installed (the static checks still run).
func renderedFlags(t *testing.T) map[string]map[string]bool {
	t.Helper()
	if !helmInstalled() {
		t.Log("Helm not installed: not checking the chart's flags against the binaries")
		return nil
	}
	flags := map[string]map[string]bool{"race-server": {}, "allocator": {}, "bot": {}, "edge": {}}
	add := func(binary string, c map[string]any) {
		for flag := range flagValues(stringList(t, c["args"])) {
			flags[binary][flag] = true
		}
	}
	for _, vs := range valueSets(t) {
		objs := render(t, "leapfrog", vs, "--set", "allocator.publicAddress=192.0.2.1")
		add("race-server", containerOf(t, nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "spec").(map[string]any), "race-server"))
		add("allocator", containerOf(t, nested(t, find(t, objs, "Deployment").Object, "spec", "template", "spec").(map[string]any), "allocator"))
		add("bot", containerOf(t, nested(t, findTestPod(t, objs).Object, "spec").(map[string]any), "bot"))
		for _, d := range objsOfKind(objs, "Deployment") {
			if d.GetLabels()["app.kubernetes.io/component"] == "edge" {
				add("edge", containerOf(t, nested(t, d.Object, "spec", "template", "spec").(map[string]any), "edge"))
			}
		}
	}
	return flags
}

// checkStatic fails for an ELF file that asks for a dynamic loader or shared libraries.
func checkStatic(file string) error {
	f, err := elf.Open(file)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s asks for a dynamic loader (PT_INTERP)", file)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", file, err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries %v", file, libs)
	}
	if f.Section(".dynamic") != nil {
		return fmt.Errorf("%s has a .dynamic section", file)
	}
	return nil
}

// TestCheckStaticTellsDynamicFromStatic makes sure the check above can fail: a cgo binary is dynamic.
func TestCheckStaticTellsDynamicFromStatic(t *testing.T) {
	tests := []struct {
		name   string
		prog   string
		cgo    string
		static bool
	}{
		{"pure Go", "package main\n\nfunc main() {}\n", "0", true},
		{"cgo", "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc main() { C.abs(1) }\n", "1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cgo == "1" {
				if _, err := exec.LookPath("gcc"); err != nil {
					t.Skip("skipping: no gcc to build a dynamic binary with")
				}
			}
			dir := t.TempDir()
			src := filepath.Join(dir, "main.go")
			if err := os.WriteFile(src, []byte(tc.prog), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "prog")
			cmd := exec.Command("go", "build", "-o", out, src)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "CGO_ENABLED="+tc.cgo)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, msg)
			}
			if err := checkStatic(out); (err == nil) != tc.static {
				t.Errorf("checkStatic = %v, want static=%v", err, tc.static)
			}
		})
	}
}

// TestDockerignoreKeepsSources checks that the build context keeps every Go file and embedded file the
// binaries are built from, and go.mod/go.sum.
func TestDockerignoreKeepsSources(t *testing.T) {
	root := repoRoot(t)
	patterns := readDockerignore(t, filepath.Join(root, ".dockerignore"))
	var pkgs []string
	for _, pkg := range slices.Sorted(maps.Values(binaries)) {
		if _, err := os.Stat(filepath.Join(root, pkg)); err == nil {
			pkgs = append(pkgs, pkg)
		}
	}
	files := []string{"go.mod", "go.sum"}
	if len(pkgs) > 0 {
		cmd := exec.Command("go", append([]string{"list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module"}, pkgs...)...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p struct {
				Dir        string
				GoFiles    []string
				EmbedFiles []string
				Module     *struct{ Main bool }
			}
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if p.Module == nil || !p.Module.Main {
				continue
			}
			rel, err := filepath.Rel(root, p.Dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range slices.Concat(p.GoFiles, p.EmbedFiles) {
				files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
			}
		}
	}
	t.Logf("%d files of %d packages checked", len(files), len(pkgs))
	for _, f := range files {
		if ignored(patterns, f) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", f)
		}
	}

	// The matcher itself, on the patterns in use.
	for f, want := range map[string]bool{
		".git/config":                        true,
		"web/node_modules/x/index.js":        true,
		"allocator/webui/dist/index.html":    false,
		"gameserver/cmd/race-server/main.go": false,
		"charts/leapfrog/values.yaml":        true,
		"test/bot/main.go":                   false,
		"test/deploy/chart_test.go":          true,
	} {
		if got := ignored(patterns, f); got != want {
			t.Errorf("ignored(%s) = %v, want %v", f, got, want)
		}
	}
}

// dockerignorePattern is one line of .dockerignore as a regular expression.
type dockerignorePattern struct {
	re     *regexp.Regexp
	negate bool
}

func readDockerignore(t testing.TB, file string) []dockerignorePattern {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerignorePattern
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		neg := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(strings.TrimPrefix(line, "!"), "/")
		line = path.Clean(line)
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch {
			case strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(?:.*/)?")
				i += 2
			case strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case line[i] == '*':
				re.WriteString("[^/]*")
			case line[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(line[i : i+1]))
			}
		}
		re.WriteString("$")
		out = append(out, dockerignorePattern{re: regexp.MustCompile(re.String()), negate: neg})
	}
	return out
}

// ignored applies Docker's rules: a pattern matches a path or any of its parent directories, and the last
// matching pattern wins.
func ignored(patterns []dockerignorePattern, file string) bool {
	var prefixes []string
	parts := strings.Split(file, "/")
	for i := range parts {
		prefixes = append(prefixes, strings.Join(parts[:i+1], "/"))
	}
	result := false
	for _, p := range patterns {
		for _, prefix := range prefixes {
			if p.re.MatchString(prefix) {
				result = !p.negate
				break
			}
		}
	}
	return result
}
