package transparency

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
)

// CosignatureType is the event type of a witness's cosignature of a
// checkpoint, kept on CheckpointStream after the checkpoint it cosigns.
const CosignatureType = "ledger.checkpoint_cosigned"

// cosignatureAlg is the C2SP signed-note signature type of a timestamped
// Ed25519 cosignature (c2sp.org/tlog-cosignature, cosignature/v1).
const cosignatureAlg = 0x04

// CosignatureVerifier checks a witness's C2SP tlog-cosignature
// (cosignature/v1) signatures: Ed25519 over
//
//	cosignature/v1
//	time <Unix seconds>
//	<checkpoint text>
//
// where the signature bytes are the 8-byte big-endian timestamp followed by
// the 64-byte Ed25519 signature. It is a note.Verifier, so note.Open checks
// a witness's line like any other signature.
type CosignatureVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	vkey string
}

// NewCosignatureVerifier parses a witness's verifier key, in the C2SP
// signed-note vkey format "<name>+<key hash>+<base64(0x04 ‖ Ed25519 key)>".
func NewCosignatureVerifier(vkey string) (*CosignatureVerifier, error) {
	vkey = strings.TrimSpace(vkey)
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !validKeyName(name) || len(hash16) != 8 {
		return nil, fmt.Errorf("witness key %.60q: want <name>+<8 hex digits>+<base64 key>", vkey)
	}
	h, err := strconv.ParseUint(hash16, 16, 32)
	key, kerr := base64.StdEncoding.DecodeString(key64)
	switch {
	case err != nil:
		return nil, fmt.Errorf("witness key %.60q: bad key hash", vkey)
	case kerr != nil || len(key) != 1+ed25519.PublicKeySize:
		return nil, fmt.Errorf("witness key %.60q: not a 32-byte Ed25519 key", vkey)
	case key[0] != cosignatureAlg:
		return nil, fmt.Errorf("witness key %.60q: signature type 0x%02x, want 0x04 (cosignature/v1)", vkey, key[0])
	case uint32(h) != keyHash(name, key):
		return nil, fmt.Errorf("witness key %.60q: its key hash does not match its name and key", vkey)
	}
	return &CosignatureVerifier{name: name, hash: uint32(h), key: ed25519.PublicKey(key[1:]), vkey: vkey}, nil
}

// keyHash is the C2SP signed-note key ID: the first 4 bytes of
// SHA-256(name ‖ "\n" ‖ signature type ‖ public key).
func keyHash(name string, typedKey []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(typedKey)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// Name implements note.Verifier: the witness's name.
func (v *CosignatureVerifier) Name() string { return v.name }

// KeyHash implements note.Verifier.
func (v *CosignatureVerifier) KeyHash() uint32 { return v.hash }

// String returns the verifier key (vkey).
func (v *CosignatureVerifier) String() string { return v.vkey }

// Verify implements note.Verifier: sig is the timestamp and signature (the
// key hash already stripped by note.Open), msg the checkpoint text.
func (v *CosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 {
		return false
	}
	return ed25519.Verify(v.key, cosignedMessage(t, msg), sig[8:])
}

// cosignedMessage is what a cosignature/v1 signature signs.
func cosignedMessage(t uint64, checkpoint []byte) []byte {
	return append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), checkpoint...)
}

// Cosignature is one witness's cosignature of one checkpoint.
type Cosignature struct {
	// Witness is the witness's name (its key's name).
	Witness string
	// Key is the witness's verifier key (vkey).
	Key string
	// Line is the signature line, "— <name> <base64>\n", as it goes after
	// the checkpoint's own signature in the note.
	Line string
	// Time is when the witness signed (from the cosignature).
	Time time.Time
	// Origin, Size and Root are the checkpoint it cosigns.
	Origin string
	Size   int64
	Root   tlog.Hash
}

// OpenCosignature checks that line (one signature line) is a valid
// cosignature by the witness v of the checkpoint cp. Failure wraps
// ErrSignatureInvalid.
func OpenCosignature(cp Checkpoint, v *CosignatureVerifier, line string) (Cosignature, error) {
	line = strings.TrimRight(line, "\n") + "\n"
	msg := CheckpointBody(cp.Origin, cp.Size, cp.Root) + "\n" + line
	n, err := note.Open([]byte(msg), note.VerifierList(v))
	if err != nil || len(n.Sigs) != 1 {
		return Cosignature{}, fmt.Errorf("%w: cosignature by %s+%08x of the checkpoint of %d leaves does not verify", ErrSignatureInvalid, v.name, v.hash, cp.Size)
	}
	raw, _ := base64.StdEncoding.DecodeString(n.Sigs[0].Base64)
	t := int64(binary.BigEndian.Uint64(raw[4:12]))
	return Cosignature{Witness: v.name, Key: v.vkey, Line: line, Time: time.Unix(t, 0).UTC(),
		Origin: cp.Origin, Size: cp.Size, Root: cp.Root}, nil
}

// SignatureLines returns the signature lines of a signed note (each with
// its newline), or nil if msg is not one.
func SignatureLines(msg []byte) []string {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	var out []string
	for l := range strings.Lines(string(msg[i+2:])) {
		if strings.HasPrefix(l, "— ") {
			out = append(out, l)
		}
	}
	return out
}

// WithCosignatures returns the checkpoint's note with the cosignature lines
// appended (those already in it are not repeated): the C2SP checkpoint a
// witnessed log serves.
func WithCosignatures(msg []byte, cosigs []Cosignature) []byte {
	out := bytes.Clone(msg)
	for _, c := range cosigs {
		if !bytes.Contains(out, []byte(c.Line)) {
			out = append(out, c.Line...)
		}
	}
	return out
}

// CosignatureData is the data of a CosignatureType event.
type CosignatureData struct {
	// Origin, Size and RootHash (64 lowercase hex digits) name the
	// checkpoint cosigned.
	Origin   string `json:"origin"`
	Size     int64  `json:"size"`
	RootHash string `json:"rootHash"`
	// Witness is the witness's verifier key (vkey).
	Witness string `json:"witness"`
	// Cosignature is the witness's signature line, without its newline.
	Cosignature string `json:"cosignature"`
}

// cosignatureIDSpace is the UUIDv5 namespace of cosignature event IDs.
var cosignatureIDSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://collab-ledger.pdis.tw/ns/cosignature"))

// CosignatureEvent returns the event that keeps c in the log. Its ID is
// derived from the checkpoint (origin, size, root) and the witness's key,
// so that a witness's cosignature of one checkpoint is stored once.
func CosignatureEvent(c Cosignature) (eventstore.EventData, error) {
	d := CosignatureData{Origin: c.Origin, Size: c.Size, RootHash: hex.EncodeToString(c.Root[:]), Witness: c.Key,
		Cosignature: strings.TrimRight(c.Line, "\n")}
	raw, err := json.Marshal(d)
	if err != nil {
		return eventstore.EventData{}, fmt.Errorf("cosignature event: %w", err)
	}
	return eventstore.EventData{ID: cosignatureID(d), Type: CosignatureType, SchemaVersion: 1, Data: raw,
		Metadata: eventstore.Metadata{ActorID: "collabledger", ActorRole: "ledger"}}, nil
}

func cosignatureID(d CosignatureData) uuid.UUID {
	return uuid.NewSHA1(cosignatureIDSpace, []byte(d.Origin+"\n"+strconv.FormatInt(d.Size, 10)+"\n"+d.RootHash+"\n"+d.Witness))
}

// IsCosignatureEvent reports whether ev keeps a witness's cosignature.
func IsCosignatureEvent(ev *eventstore.Event) bool {
	return ev.Type == CosignatureType && ev.Stream == CheckpointStream
}

// ReadCosignatureEvent reads a cosignature event and checks the
// cosignature against the witness key it names (ErrSignatureInvalid if it
// does not verify, ErrContentChanged if the data cannot be read). Whether
// that witness is one to trust is the policy's business.
func ReadCosignatureEvent(ev *eventstore.Event) (Cosignature, error) {
	var d CosignatureData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return Cosignature{}, fmt.Errorf("%w: cosignature event data: %v", ErrContentChanged, err)
	}
	return cosignatureOf(d)
}

func cosignatureOf(d CosignatureData) (Cosignature, error) {
	v, err := NewCosignatureVerifier(d.Witness)
	if err != nil {
		return Cosignature{}, fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
	}
	root, err := hex.DecodeString(d.RootHash)
	if err != nil || len(root) != tlog.HashSize {
		return Cosignature{}, fmt.Errorf("%w: cosignature event: bad root hash %q", ErrContentChanged, d.RootHash)
	}
	cp := Checkpoint{Origin: d.Origin, Size: d.Size, Root: tlog.Hash(root)}
	if _, _, _, err := ParseCheckpointBody(CheckpointBody(cp.Origin, cp.Size, cp.Root)); err != nil || cp.Size < 0 {
		return Cosignature{}, fmt.Errorf("%w: cosignature event: not a checkpoint: %v", ErrContentChanged, err)
	}
	return OpenCosignature(cp, v, d.Cosignature)
}
