package testenv

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Litewitness is a real C2SP tlog-witness, litewitness from
// filippo.io/torchwood (v0.6.1, as .ci/run installs it), running on
// loopback for one test, with its key served by an in-process ssh-agent.
type Litewitness struct {
	// URL is the witness's base URL (POST URL/add-checkpoint).
	URL string
	// Name is the witness's name, as in its cosignature lines.
	Name string
	// VKey is its cosignature/v1 verifier key.
	VKey string
	// DB is its SQLite database.
	DB string

	ctl    string
	stderr *bytes.Buffer
}

// witnessBinary finds a torchwood command: on PATH, in
// $COLLABLEDGER_WITNESS_BIN, or in $(go env GOPATH)/bin where `go install`
// puts it.
func witnessBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("COLLABLEDGER_WITNESS_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no %s on PATH, in $COLLABLEDGER_WITNESS_BIN or in $(go env GOPATH)/bin (go install filippo.io/torchwood/cmd/litewitness@v0.6.1 filippo.io/torchwood/cmd/witnessctl@v0.6.1)", name)
}

// StartLitewitness starts litewitness named name on a free loopback port
// with a fresh key and database, and stops it when the test ends. Missing
// binaries skip the test, or fail it with COLLABLEDGER_REQUIRE_WITNESS=1.
func StartLitewitness(tb testing.TB, name string) *Litewitness {
	tb.Helper()
	bin, err := witnessBinary("litewitness")
	if err != nil {
		Missing(tb, "witness", err.Error())
	}
	ctl, err := witnessBinary("witnessctl")
	if err != nil {
		Missing(tb, "witness", err.Error())
	}
	dir, err := os.MkdirTemp("", "litewitness-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	sock := serveAgent(tb, filepath.Join(dir, "agent.sock"), priv)
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	w := &Litewitness{URL: "http://" + addr, Name: name, VKey: CosignatureVKey(name, pub), DB: filepath.Join(dir, "witness.db"),
		ctl: ctl, stderr: &bytes.Buffer{}}
	cmd := exec.Command(bin, "-name", name, "-db", w.DB, "-ssh-agent", sock, "-key", ssh.FingerprintSHA256(sshPub), "-listen", addr)
	cmd.Stdout, cmd.Stderr = w.stderr, w.stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start litewitness: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(w.URL + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-exited:
			tb.Fatalf("litewitness exited: %s", w.stderr)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("litewitness not listening on %s after 20 s: %v\n%s", addr, err, w.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return w
}

// AddLog tells the witness of a log (witnessctl add-log and add-key): it
// then cosigns that origin's checkpoints signed with vkey.
func (w *Litewitness) AddLog(tb testing.TB, origin, vkey string) {
	tb.Helper()
	for _, args := range [][]string{{"add-log", "-db", w.DB, "-origin", origin}, {"add-key", "-db", w.DB, "-origin", origin, "-key", vkey}} {
		if out, err := exec.Command(w.ctl, args...).CombinedOutput(); err != nil {
			tb.Fatalf("witnessctl %s: %v\n%s", args[0], err, out)
		}
	}
}

// Log returns what the witness logged so far.
func (w *Litewitness) Log() string { return w.stderr.String() }

// CosignatureVKey is the C2SP cosignature/v1 verifier key of an Ed25519
// public key: name+keyhash+base64(0x04 ‖ key).
func CosignatureVKey(name string, pub ed25519.PublicKey) string {
	typed := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), typed...))
	return fmt.Sprintf("%s+%08x+%s", name, binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(typed))
}

// serveAgent serves an ssh-agent holding priv on a Unix socket until the
// test ends.
func serveAgent(tb testing.TB, path string, priv ed25519.PrivateKey) string {
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		tb.Fatalf("ssh-agent socket: %v", err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // the test ended
			}
			go func() {
				defer c.Close()
				_ = agent.ServeAgent(keyring, c) // ends when the witness hangs up
			}()
		}
	}()
	tb.Cleanup(func() { ln.Close() })
	return path
}
