package envflag

import (
	"flag"
	"io"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		listen  string
		grace   time.Duration
		wantErr bool
	}{
		{name: "defaults", listen: ":1", grace: time.Second},
		{name: "env", env: map[string]string{"LF_LISTEN": ":2", "LF_DRAIN_GRACE": "3s"}, listen: ":2", grace: 3 * time.Second},
		{name: "flag wins", args: []string{"-listen", ":3"}, env: map[string]string{"LF_LISTEN": ":2"}, listen: ":3", grace: time.Second},
		{name: "bad env", env: map[string]string{"LF_DRAIN_GRACE": "soon"}, wantErr: true},
		{name: "bad flag", args: []string{"-nope"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			listen := fs.String("listen", ":1", "address")
			grace := fs.Duration("drain-grace", time.Second, "grace")
			err := Parse(fs, "LF", tt.args, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if *listen != tt.listen || *grace != tt.grace {
				t.Errorf("listen=%q grace=%v, want %q %v", *listen, *grace, tt.listen, tt.grace)
			}
			if u := fs.Lookup("drain-grace").Usage; u != "grace (env LF_DRAIN_GRACE)" {
				t.Errorf("usage = %q", u)
			}
		})
	}
}
