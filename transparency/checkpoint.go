package transparency

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
)

const (
	// DefaultOrigin is the origin line of checkpoints when none is
	// configured (the library's default, and the name of keys made before
	// origins were per deployment). A deployment's origin is its key's
	// name, made by GenerateKey from the deployment's name and the key.
	DefaultOrigin = "collab-ledger.pdis.tw/log"
	// CheckpointStream is the stream every published checkpoint is appended
	// to, so that checkpoints live in the log itself and travel with an
	// export.
	CheckpointStream = "ledger-checkpoints"
	// CheckpointType is the event type of a published checkpoint.
	CheckpointType = "ledger.checkpoint_published"
	// DefaultDeployment is the deployment name GenerateKey's origins start
	// with when none is given.
	DefaultDeployment = "collab-ledger.pdis.tw/log"
)

// Checkpoint is a signed statement of the tree: its size and root hash, in
// the C2SP tlog-checkpoint format, signed as a note (golang.org/x/mod/sumdb/note,
// Ed25519).
type Checkpoint struct {
	// Origin is the log's name, the checkpoint's first line.
	Origin string
	// Size is the number of leaves the checkpoint covers: leaves 0 to
	// Size-1, the first Size events of the log in global order.
	Size int64
	// Root is the RFC 6962 root hash of the tree of Size leaves.
	Root tlog.Hash
	// Note is the signed note: the body, a blank line and the signature
	// lines.
	Note []byte
	// Position is where the checkpoint's event is in the log (0: not read
	// from the log).
	Position eventstore.Position
}

// CheckpointBody returns the checkpoint text that is signed (C2SP
// tlog-checkpoint): the origin, the tree size in decimal and the root hash
// in standard base64, one per line.
func CheckpointBody(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// ParseCheckpointBody reads a checkpoint text: origin, size and root hash on
// the first three lines; further (extension) lines are allowed and ignored.
func ParseCheckpointBody(text string) (origin string, size int64, root tlog.Hash, err error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return "", 0, root, fmt.Errorf("checkpoint text: want origin, size and root hash lines, got %q", text)
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return "", 0, root, fmt.Errorf("checkpoint text: bad tree size %q", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return "", 0, root, fmt.Errorf("checkpoint text: bad root hash %q", lines[2])
	}
	copy(root[:], h)
	return lines[0], size, root, nil
}

// SignCheckpoint signs the checkpoint of a tree of size leaves with root
// hash root.
func SignCheckpoint(signer note.Signer, origin string, size int64, root tlog.Hash) (Checkpoint, error) {
	msg, err := note.Sign(&note.Note{Text: CheckpointBody(origin, size, root)}, signer)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("sign checkpoint of size %d: %w", size, err)
	}
	return Checkpoint{Origin: origin, Size: size, Root: root, Note: msg}, nil
}

// OpenCheckpoint verifies a signed checkpoint note with the trusted keys and
// parses it. origin, if not empty, must be the checkpoint's origin. Every
// failure wraps ErrSignatureInvalid.
func OpenCheckpoint(msg []byte, verifiers note.Verifiers, origin string) (Checkpoint, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			names := make([]string, 0, len(unverified.Note.UnverifiedSigs))
			for _, s := range unverified.Note.UnverifiedSigs {
				names = append(names, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return Checkpoint{}, fmt.Errorf("%w: no signature by a trusted key (signed by %s)", ErrSignatureInvalid, strings.Join(names, ", "))
		}
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
	}
	o, size, root, err := ParseCheckpointBody(n.Text)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
	}
	if origin != "" && o != origin {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint of log %q, want %q", ErrSignatureInvalid, o, origin)
	}
	return Checkpoint{Origin: o, Size: size, Root: root, Note: bytes.Clone(msg)}, nil
}

// CheckpointData is the data of a CheckpointType event.
type CheckpointData struct {
	// Origin is the checkpoint's origin line.
	Origin string `json:"origin"`
	// Size is the tree size the checkpoint covers.
	Size int64 `json:"size"`
	// RootHash is the root hash, 64 lowercase hex digits.
	RootHash string `json:"rootHash"`
	// Note is the signed note text (what GET /api/v1/checkpoints/latest
	// serves as text/plain).
	Note string `json:"note"`
}

// checkpointIDSpace is the UUIDv5 namespace of checkpoint event IDs.
var checkpointIDSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://collab-ledger.pdis.tw/ns/checkpoint"))

// CheckpointEvent returns the event that publishes cp in the log. Its ID is
// derived from the origin, size and root, so that two publishers (or a
// retry) publishing the same checkpoint store it once.
func CheckpointEvent(cp Checkpoint) (eventstore.EventData, error) {
	d := CheckpointData{Origin: cp.Origin, Size: cp.Size, RootHash: hex.EncodeToString(cp.Root[:]), Note: string(cp.Note)}
	raw, err := json.Marshal(d)
	if err != nil {
		return eventstore.EventData{}, fmt.Errorf("checkpoint event: %w", err)
	}
	id := uuid.NewSHA1(checkpointIDSpace, []byte(cp.Origin+"\n"+strconv.FormatInt(cp.Size, 10)+"\n"+d.RootHash))
	return eventstore.EventData{ID: id, Type: CheckpointType, SchemaVersion: 1, Data: raw,
		Metadata: eventstore.Metadata{ActorID: "collabledger", ActorRole: "ledger"}}, nil
}

// IsCheckpointEvent reports whether ev publishes a checkpoint: its type is
// CheckpointType in CheckpointStream.
func IsCheckpointEvent(ev *eventstore.Event) bool {
	return ev.Type == CheckpointType && ev.Stream == CheckpointStream
}

// ReadCheckpointEvent reads a checkpoint event. With verifiers it also
// checks the note's signature and origin (ErrSignatureInvalid); without, it
// only parses the note. Either way the event's size and root hash must be
// those of its note (ErrContentChanged otherwise).
func ReadCheckpointEvent(ev *eventstore.Event, verifiers note.Verifiers, origin string) (Checkpoint, error) {
	var d CheckpointData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint event data: %v", ErrContentChanged, err)
	}
	var cp Checkpoint
	if verifiers != nil {
		var err error
		if cp, err = OpenCheckpoint([]byte(d.Note), verifiers, origin); err != nil {
			return Checkpoint{}, err
		}
	} else {
		text, _, ok := strings.Cut(d.Note, "\n\n")
		o, size, root, err := ParseCheckpointBody(text + "\n")
		if !ok || err != nil {
			return Checkpoint{}, fmt.Errorf("%w: checkpoint note: %v", ErrSignatureInvalid, err)
		}
		cp = Checkpoint{Origin: o, Size: size, Root: root, Note: []byte(d.Note)}
	}
	if d.Size != cp.Size || d.RootHash != hex.EncodeToString(cp.Root[:]) || (d.Origin != "" && d.Origin != cp.Origin) {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint event says size %d root %s, its signed note size %d root %x",
			ErrContentChanged, d.Size, d.RootHash, cp.Size, cp.Root[:])
	}
	cp.Position = ev.Position
	return cp, nil
}

// NewVerifiers makes the trusted keys from verifier keys
// ("<name>+<hash>+<keydata>", as `collabledger keygen` writes them).
func NewVerifiers(vkeys ...string) (note.Verifiers, error) {
	if len(vkeys) == 0 {
		return nil, errors.New("no public key given")
	}
	list := make([]note.Verifier, 0, len(vkeys))
	for _, k := range vkeys {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("public key %.40q: %w", strings.TrimSpace(k), err)
		}
		list = append(list, v)
	}
	return note.VerifierList(list...), nil
}

// ReadVerifierFiles reads verifier key files and makes the trusted keys.
func ReadVerifierFiles(paths ...string) (note.Verifiers, error) {
	keys := make([]string, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read public key: %w", err)
		}
		keys = append(keys, string(b))
	}
	return NewVerifiers(keys...)
}

// VerifierKey derives the verifier (public) key of a signer key
// ("PRIVATE+KEY+<name>+<hash>+<keydata>"), so that a server holding only
// the signing key knows which checkpoints in the log are its own.
func VerifierKey(skey string) (string, error) {
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5) // base64 key data may hold "+"
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a signer key (want PRIVATE+KEY+name+hash+key)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("signer key: not an Ed25519 key")
	}
	vkey, err := note.NewEd25519VerifierKey(parts[2], ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey))
	if err != nil {
		return "", fmt.Errorf("signer key: %w", err)
	}
	if !strings.HasPrefix(vkey, parts[2]+"+"+parts[3]+"+") {
		return "", errors.New("signer key: its key hash does not match its key")
	}
	return vkey, nil
}

// ReadSignerFile reads a signer (private) key file, as `collabledger keygen`
// writes it, and returns the signer and the trusted keys that check its
// signatures (derived with VerifierKey), for Config.Verifiers.
func ReadSignerFile(path string) (note.Signer, note.Verifiers, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read signing key: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	vkey, err := VerifierKey(string(b))
	if err != nil {
		return nil, nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	v, err := NewVerifiers(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return s, v, nil
}

// GenerateKey makes a checkpoint signing key for a deployment: an Ed25519
// key whose name, and so the log's origin, is derived from the deployment's
// name and the key itself, "<deployment>/<16 hex digits of SHA-256 of the
// public key>", so that two deployments (or two stores) never share an
// origin. It returns the signer key, the verifier key and the origin.
func GenerateKey(deployment string) (skey, vkey, origin string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", "", fmt.Errorf("generate key: %w", err)
	}
	sum := sha256.Sum256(pub)
	origin = strings.TrimRight(deployment, "/") + "/" + hex.EncodeToString(sum[:8])
	if vkey, err = note.NewEd25519VerifierKey(origin, pub); err != nil {
		return "", "", "", fmt.Errorf("generate key for %q: %w", origin, err)
	}
	parts := strings.SplitN(vkey, "+", 3) // name, key hash, key
	skey = "PRIVATE+KEY+" + origin + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, priv.Seed()...))
	if _, err := note.NewSigner(skey); err != nil {
		return "", "", "", fmt.Errorf("generate key for %q: %w", origin, err)
	}
	return skey, vkey, origin, nil
}

// KeyName returns the name of a verifier key ("<name>+<hash>+<key>") or a
// signer key ("PRIVATE+KEY+<name>+..."): by convention the log's origin.
func KeyName(key string) string {
	key = strings.TrimPrefix(strings.TrimSpace(key), "PRIVATE+KEY+")
	name, _, _ := strings.Cut(key, "+")
	return name
}
