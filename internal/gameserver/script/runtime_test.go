package script

import (
	"encoding/hex"
	"errors"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"google.golang.org/protobuf/proto"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

// newTestProgram loads a bundle from memory with a quiet logger.
func newTestProgram(t *testing.T, files map[string]string) (*Program, error) {
	t.Helper()
	m := make(map[string][]byte, len(files))
	for k, v := range files {
		m[k] = []byte(v)
	}
	src, err := NewSource(m, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	return NewProgram(src, Config{Logger: slog.New(slog.DiscardHandler)})
}

const initOnly = "\nexports.ssExports = { init: function () {} };\n"

// TestRuntimeModulesAtGameLiftPaths: the runtime's modules load from the
// paths published scripts require them by, from the bundle's top folder and
// from a sub-folder, and the bundle's own files come first.
func TestRuntimeModulesAtGameLiftPaths(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"top folder", map[string]string{"index.js": `
			var Packet_pb = require('../src/proto/Packet_pb');
			if (typeof Packet_pb.Packet !== 'function') throw new Error('no Packet');
			if (typeof require('../src/proto/CoreCommands_pb.js').LoginCommand !== 'function') throw new Error('no LoginCommand');
			if (typeof require('../src/proto/GroupMessages_pb').JoinGroup !== 'function') throw new Error('no JoinGroup');
			if (__dirname !== '/local/game') throw new Error('__dirname ' + __dirname);` + initOnly}},
		{"sub-folder", map[string]string{
			"index.js":   "require('./lib/net.js');" + initOnly,
			"lib/net.js": "var p = require('../../src/proto/Packet_pb'); var q = require('../src/proto/Packet_pb'); if (!p.Packet || !q.Packet) throw new Error('no Packet');",
		}},
		{"the bundle's own copy wins", map[string]string{
			"index.js":               "if (require('./src/proto/Packet_pb').mine !== true) throw new Error('not the bundle file');" + initOnly,
			"src/proto/Packet_pb.js": "exports.mine = true;",
		}},
		{"global namespace", map[string]string{"index.js": `
			require('../src/proto/Packet_pb');
			if (typeof proto.com.gamelift.rt.proto.Packet !== 'function') throw new Error('no global namespace');` + initOnly}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newTestProgram(t, tt.files); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMissingModuleNamesWhereAndWhat: a module that cannot be had is an
// error naming the require's file:line and the path it resolved to, with
// Node's error code, catchable by the script.
func TestMissingModuleNamesWhereAndWhat(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
		is    error
	}{
		{"relative", map[string]string{"index.js": "\n\nrequire('../src/proto/Nope_pb');" + initOnly},
			[]string{`require("../src/proto/Nope_pb")`, "/local/game/index.js:3:", "resolved to /local/src/proto/Nope_pb"}, ErrModuleNotFound},
		{"in a sub-folder", map[string]string{"index.js": "require('./lib/a');" + initOnly, "lib/a.js": "// a\nrequire('./b');"},
			[]string{`require("./b")`, "/local/game/lib/a.js:2:", "resolved to /local/game/lib/b"}, ErrModuleNotFound},
		{"package", map[string]string{"index.js": "require('left-pad');" + initOnly},
			[]string{`require("left-pad")`, "/local/game/index.js:1:", "/local/game/node_modules, /local/node_modules, /node_modules"}, ErrModuleNotFound},
		{"refused built-in", map[string]string{"index.js": "\nrequire('child_process');" + initOnly},
			[]string{`require("child_process")`, "/local/game/index.js:2:"}, ErrUnavailableModule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newTestProgram(t, tt.files)
			if err == nil {
				t.Fatal("loaded")
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("catchable with its code", func(t *testing.T) {
		_, err := newTestProgram(t, map[string]string{"index.js": `
			var opt = null;
			try { opt = require('optional-dep'); } catch (e) {
				if (e.code !== 'MODULE_NOT_FOUND') throw new Error('code ' + e.code);
			}
			try { require('fs'); throw new Error('fs loaded'); } catch (e) {
				if (e.code !== 'ERR_UNKNOWN_BUILTIN_MODULE') throw new Error('code ' + e.code);
			}` + initOnly})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestPacketModuleSpeaksTheWire: the runtime's Packet module writes what the
// GameLift protocol's schema reads, and reads what it writes, zigzag op
// codes, negative ids, oneof commands and payload bytes included.
func TestPacketModuleSpeaksTheWire(t *testing.T) {
	p, err := newTestProgram(t, map[string]string{"index.js": initOnly})
	if err != nil {
		t.Fatal(err)
	}
	g := newGame(p)
	if _, err := g.require(root + "/index.js"); err != nil {
		t.Fatal(err)
	}
	run := func(src string) goja.Value {
		t.Helper()
		v, err := g.rt.RunString("(function () { var pb = require('/local/src/proto/Packet_pb'); " + src + " })()")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// JavaScript writes, Go reads.
	b := run(`
		var p = new pb.Packet();
		p.setOpcode(-101).setSender(-1).setTargetplayer(-1).setTargetgroup(7).setReliable(true).setSequencenumber(42);
		p.setPayload(Uint8Array.from([0, 1, 255]));
		var login = new pb.LoginCommand();
		login.setPlayersessionid('psess-\u00e9').setClientversion(2);
		p.setLogin(login);
		if (p.getMessageCase() !== pb.Packet.MessageCase.LOGIN) throw new Error('case ' + p.getMessageCase());
		return p.serializeBinary();`).Export()
	var got gameliftv1.Packet
	if err := proto.Unmarshal(exportBytes(t, b), &got); err != nil {
		t.Fatal(err)
	}
	if got.OpCode != -101 || got.Sender != -1 || got.TargetPlayer != -1 || got.TargetGroup != 7 || !got.Reliable ||
		got.SequenceNumber != 42 || string(got.Payload) != "\x00\x01\xff" ||
		got.GetLogin().GetPlayerSessionId() != "psess-\u00e9" || got.GetLogin().GetClientVersion() != 2 {
		t.Errorf("Go read %v", &got)
	}

	// Go writes, JavaScript reads.
	wire, err := proto.Marshal(&gameliftv1.Packet{
		OpCode: -13, Sender: -1, TargetPlayer: 3, Payload: []byte("hi"),
		Command: &gameliftv1.Packet_GroupMembershipUpdate{GroupMembershipUpdate: &gameliftv1.GroupMembershipUpdate{Group: 5, Players: []int32{1, 2, 300}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	must(g.rt.Set("wire", g.rt.NewArrayBuffer(wire)))
	out := run(`
		var p = pb.Packet.deserializeBinary(new Uint8Array(wire));
		var u = p.getGroupmembershipupdate();
		return [p.getOpcode(), p.getSender(), p.getTargetplayer(), Buffer.from(p.getPayload_asU8()).toString(),
			p.getMessageCase() === pb.Packet.MessageCase.GROUPMEMBERSHIPUPDATE, u.getGroup(), u.getPlayersList().join(','),
			JSON.stringify(p.toObject().groupmembershipupdate), p.hasLogin()].join('|');`).String()
	want := `-13|-1|3|hi|true|5|1,2,300|{"group":5,"playersList":[1,2,300]}|false`
	if out != want {
		t.Errorf("JavaScript read %s, want %s", out, want)
	}

	// A truncated message is an error, not a partial message.
	if _, err := g.rt.RunString("require('/local/src/proto/Packet_pb').Packet.deserializeBinary(Uint8Array.from([0x0a, 0x05, 0x01]))"); err == nil {
		t.Error("truncated packet decoded")
	}
}

func exportBytes(t *testing.T, v any) []byte {
	t.Helper()
	switch b := v.(type) {
	case []byte:
		return b
	case goja.ArrayBuffer:
		return b.Bytes()
	}
	t.Fatalf("serializeBinary returned %T", v)
	return nil
}

// TestInspectedFunctionsHaveTheirNames: scripts print the session object
// (util.inspect(rtSession), as the original samples do in init) and the
// globals: Go-backed functions show the names scripts call them by.
func TestInspectedFunctionsHaveTheirNames(t *testing.T) {
	_, err := newTestProgram(t, map[string]string{"index.js": `
		const util = require('util');
		exports.ssExports = { init(s) {
			const got = [util.inspect(s.getPlayers), util.inspect(s.sendReliableMessage), util.inspect(require),
				setTimeout.name, clearInterval.name, process.exit.name, process.hrtime.name, process.hrtime.bigint.name].join(' ');
			const want = '[Function: getPlayers] [Function: sendReliableMessage] [Function: require] setTimeout clearInterval exit hrtime bigint';
			if (got !== want) throw new Error(got);
			if (/github\.com|func\d/.test(util.inspect(s))) throw new Error(util.inspect(s));
		} };`})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSendToAPlayerObject: a script that iterates getPlayers() with
// forEach((player) => rtSession.sendReliableMessage(msg, player)) reaches
// the player, as with its peer id.
func TestSendToAPlayerObject(t *testing.T) {
	hs, _ := scriptSession(t, `
		let s;
		exports.ssExports = {
			init(rt) { s = rt; },
			onMessage(m) {
				const msg = s.newTextGameMessage(9, s.getServerId(), 'to you');
				s.getPlayers().forEach((player) => s.sendReliableMessage(msg, player));
			},
		};`, Config{})
	alice, err := hs.Connect("alice")
	if err != nil {
		t.Fatal(err)
	}
	alice.Send(1, nil)
	hs.Advance(time.Millisecond)
	got := alice.Messages()
	if len(got) != 1 || got[0].OpCode != 9 || string(got[0].Payload) != "to you" {
		t.Fatalf("alice got %v, want op 9 'to you'", got)
	}
}

// TestRuntimeModulesAndFixturesOnNode: the runtime's Packet module is plain
// Node.js code (GameLift's runtime loads its modules in real Node): node
// itself writes with it the bytes Go's protobuf writes; and the GameLift
// scripts of test/gamelift, written as studios write them, are valid
// Node.js.
func TestRuntimeModulesAndFixturesOnNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH (apt-get install nodejs): the runtime modules and fixtures are not checked against Node.js")
	}
	dir, err := filepath.Abs("runtime/proto")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "-e", `
		const pb = require(process.argv[1] + '/Packet_pb');
		const p = new pb.Packet().setOpcode(-101).setSender(-1).setTargetplayer(4).setReliable(true);
		p.setPayload(Uint8Array.from([1, 2, 255]));
		p.setPlayerconnect(new pb.PlayerConnectMessage().setPeerid(4));
		const back = pb.Packet.deserializeBinary(p.serializeBinary());
		if (back.getPlayerconnect().getPeerid() !== 4 || back.getOpcode() !== -101) throw new Error('round trip');
		console.log(Buffer.from(p.serializeBinary()).toString('hex'));`, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	want, err := proto.Marshal(&gameliftv1.Packet{OpCode: -101, Sender: -1, TargetPlayer: 4, Reliable: true, Payload: []byte{1, 2, 255},
		Command: &gameliftv1.Packet_PlayerConnect{PlayerConnect: &gameliftv1.PlayerConnect{PeerId: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != hex.EncodeToString(want) {
		t.Errorf("node wrote %s with the Packet module, Go's protobuf %x", got, want)
	}

	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "test", "gamelift", "scripts", "*", "*.js"))
	more, _ := filepath.Glob(filepath.Join(root, "test", "gamelift", "scripts", "*", "lib", "*.js"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no GameLift scripts in test/gamelift/scripts")
	}
	for _, f := range files {
		if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
			t.Errorf("node --check %s: %v\n%s", f, err, out)
		}
	}
}
