package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/pdis/collab-ledger/transparency"
)

// Key file names keygen writes in --out.
const (
	signerKeyFile   = "ledger-checkpoint.key"
	verifierKeyFile = "ledger-checkpoint.pub"
)

// runKeygen makes the Ed25519 key pair that signs checkpoints: the signer
// key (private, mode 0600) and the verifier key (public, for auditors), in
// the signed-note key format of golang.org/x/mod/sumdb/note.
func runKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "key name, which is the log's origin in its checkpoints; default: --deployment, a slash and 16 hex digits of the key's SHA-256")
	deployment := fs.String("deployment", transparency.DefaultDeployment, "the deployment's name, which the default key name starts with")
	out := fs.String("out", ".", "folder to write "+signerKeyFile+" (private) and "+verifierKeyFile+" (public) to")
	force := fs.Bool("force", false, "overwrite existing key files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: keygen takes no arguments, got %q", errUsage, fs.Args())
	}
	var skey, vkey string
	var err error
	if *name != "" {
		skey, vkey, err = note.GenerateKey(rand.Reader, *name)
	} else {
		skey, vkey, _, err = transparency.GenerateKey(*deployment)
	}
	if err != nil {
		return fmt.Errorf("%w: keygen: %v", errUsage, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	priv, pub := filepath.Join(*out, signerKeyFile), filepath.Join(*out, verifierKeyFile)
	if !*force {
		for _, p := range []string{priv, pub} {
			if _, err := os.Stat(p); err == nil {
				return fmt.Errorf("keygen: %s exists; not overwriting a key (use --force)", p)
			} else if !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("keygen: %w", err)
			}
		}
	}
	if err := writeKey(priv, skey, 0o600); err != nil {
		return err
	}
	if err := writeKey(pub, vkey, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signing key (keep it secret): %s\npublic key (give it to auditors): %s\n%s\norigin of the log's checkpoints: %s\n", priv, pub, vkey, transparency.KeyName(vkey))
	return nil
}

// writeKey writes a key file with exactly mode perm.
func writeKey(path, key string, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	err = f.Chmod(perm) // exactly perm, whatever the umask
	if err == nil {
		_, err = io.WriteString(f, key+"\n")
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keygen: write %s: %w", path, err)
	}
	return nil
}
