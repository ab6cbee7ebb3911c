// Command agonesrig installs Leapfrog's chart on a real Agones control plane
// running on this machine and runs the chart's allocator and helm test pod as
// local processes. hack/agones-up.sh and hack/agones-down.sh call it.
//
//	agonesrig up     install the main release, start its allocator, run the helm test
//	agonesrig down   stop the allocators and delete every release's namespace
//	agonesrig env    print shell exports for the main release
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/leapfrog-games/leapfrog/test/agones/rig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "agonesrig:", err)
		os.Exit(1)
	}
}

type options struct {
	dir, kubeconfig, podLogs, bin, helm, chart string
	release, namespace, allocatorListen        string
	values                                     stringList
	helmTest                                   bool
}

type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: agonesrig up|down|env [flags]")
	}
	cmd, args := args[0], args[1:]
	home, _ := os.UserCacheDir()
	o := options{
		dir:             rig.DefaultDir(),
		kubeconfig:      os.Getenv("KUBECONFIG"),
		podLogs:         filepath.Join(home, "realagones", "logs"),
		bin:             "bin",
		chart:           "charts/leapfrog",
		release:         "leapfrog",
		namespace:       "leapfrog",
		allocatorListen: "127.0.0.1:18080",
	}
	fs := flag.NewFlagSet("agonesrig "+cmd, flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", o.dir, "the rig's state folder (LEAPFROG_RIG_DIR)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", o.kubeconfig, "admin kubeconfig of the Agones rig")
	fs.StringVar(&o.podLogs, "pod-logs", o.podLogs, "the Agones rig's log folder (podrunner.state)")
	fs.StringVar(&o.bin, "bin", o.bin, "folder with race-server, allocator and bot")
	fs.StringVar(&o.helm, "helm", o.helm, "helm binary")
	fs.StringVar(&o.chart, "chart", o.chart, "chart folder")
	fs.StringVar(&o.release, "release", o.release, "release name")
	fs.StringVar(&o.namespace, "namespace", o.namespace, "release namespace")
	fs.StringVar(&o.allocatorListen, "allocator-listen", o.allocatorListen, "where the allocator listens (not :8080: Agones' controller holds it)")
	fs.Var(&o.values, "values", "values file (repeatable)")
	fs.BoolVar(&o.helmTest, "helm-test", true, "run the chart's helm test (the bot plays a race) after the install")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch cmd {
	case "up":
		return up(ctx, o)
	case "down":
		return down(ctx, o)
	case "env":
		s, err := rig.LoadState(o.dir)
		if err != nil {
			return err
		}
		main := s.Releases[0]
		fmt.Printf("export KUBECONFIG=%s\nexport LEAPFROG_ALLOCATOR=%s\nexport LEAPFROG_RIG_DIR=%s\n",
			s.Kubeconfig, main.Allocators[0].URL, s.Dir)
		return nil
	default:
		return fmt.Errorf("unknown command %q: want up, down or env", cmd)
	}
}

func up(ctx context.Context, o options) error {
	if o.kubeconfig == "" || o.helm == "" {
		return errors.New("up needs --kubeconfig (the rig's admin kubeconfig) and --helm")
	}
	if old, err := rig.LoadState(o.dir); err == nil {
		fmt.Println("==> removing the previous install")
		if err := uninstallAll(ctx, old); err != nil {
			return err
		}
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	s := &rig.State{Dir: abs(o.dir), Kubeconfig: abs(o.kubeconfig), PodLogs: abs(o.podLogs), Bin: abs(o.bin),
		Helm: abs(o.helm), Chart: abs(o.chart), Up: time.Now()}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	in, err := s.Installer()
	if err != nil {
		return err
	}
	in.Log = os.Stdout
	var files []string
	for _, f := range o.values {
		files = append(files, abs(f))
	}
	rel, err := in.Install(ctx, rig.InstallOptions{Release: o.release, Namespace: o.namespace,
		Values: rig.Values{Files: files}, RaceServer: s.Binary("race-server")})
	if err != nil {
		return err
	}
	s.Releases = append(s.Releases, rel)
	a, err := rel.StartAllocator(ctx, s.Binary("allocator"), o.allocatorListen, true)
	if err != nil {
		return err
	}
	if err := s.Save(); err != nil {
		return err
	}
	fmt.Printf("==> allocator (ServiceAccount %s/%s) answers on %s (log %s)\n", rel.Namespace, rel.ServiceAccount, a.URL, a.Log)
	if o.helmTest {
		fmt.Println("==> helm test: the bot plays through the allocator")
		bot := exec.CommandContext(ctx, s.Binary("bot"), append([]string{"--allocator=" + a.URL}, rel.TestArgs...)...)
		bot.Stdout, bot.Stderr = os.Stdout, os.Stderr
		if err := bot.Run(); err != nil {
			return fmt.Errorf("helm test: bot: %w", err)
		}
	}
	fmt.Printf("\nLeapfrog is up on real Agones: Fleet %s/%s Ready %.1fs after the apply.\n", rel.Namespace, rel.Fleet, rel.FleetReady.Seconds())
	fmt.Printf("  open %s/ in two browser tabs, or: go run ./test/bot -allocator %s -races 4\n", a.URL, a.URL)
	fmt.Printf("  kubectl: export KUBECONFIG=%s; kubectl -n %s get fleet,gs\n", s.Kubeconfig, rel.Namespace)
	fmt.Printf("  tests:   LEAPFROG_REALAGONES=1 go test -v ./test/agones/\n")
	return nil
}

func down(ctx context.Context, o options) error {
	s, err := rig.LoadState(o.dir)
	if errors.Is(err, rig.ErrNotUp) {
		fmt.Println("==> nothing installed")
		return nil
	}
	if err != nil {
		return err
	}
	return uninstallAll(ctx, s)
}

// uninstallAll stops every allocator and deletes every release, then the
// state file. An API server that is already gone is not an error: the rig's
// own teardown takes the objects with it.
func uninstallAll(ctx context.Context, s *rig.State) error {
	for _, rel := range s.Releases {
		for _, a := range rel.Allocators {
			a.Stop(10 * time.Second)
		}
	}
	in, err := s.Installer()
	if err == nil {
		for _, rel := range s.Releases {
			rel.Allocators = nil
			uctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			if err := in.Uninstall(uctx, rel); err != nil {
				fmt.Fprintf(os.Stderr, "agonesrig: %v\n", err)
			}
			cancel()
		}
	}
	return os.Remove(filepath.Join(s.Dir, "state.json"))
}
