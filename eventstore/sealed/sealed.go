// Package sealed keeps an event's personal and confidential fields out of
// the log while the log still commits to them: envelope version 2.
//
// Seal replaces each such field of an event's data with a salted commitment,
// "sha256:" and the lowercase hex of SHA-256(salt ‖ value), where salt is 32
// random bytes of its own and value is the RFC 8785 canonical JSON of the
// field's value, and lists the committed fields under the data's
// "$commitments" key. The content hash covers the sealed data, so the log,
// the transparency tree and every checkpoint prove the commitments; the
// values and salts (Secret) are kept beside the log in an erasable Secrets store.
// Open puts them back and checks each against its commitment; a field whose
// secret was erased stays a commitment, and every proof stays valid.
// docs/content-hash.md gives the byte layout with a worked example.
//
// Data without "$commitments" is envelope version 1 (every event recorded
// before): it is hashed and verified exactly as before.
package sealed

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pdis/collab-ledger/eventstore"
)

// CommitmentsKey is the data key that lists the committed fields of a
// sealed event (envelope version 2), as sorted concrete JSON paths.
const CommitmentsKey = "$commitments"

// Prefix begins every commitment in sealed data.
const Prefix = "sha256:"

// SaltSize is the size of a field's salt in bytes.
const SaltSize = 32

// Errors callers branch on.
var (
	// ErrMismatch: a value and salt do not open their commitment (a
	// tampered value, salt or commitment).
	ErrMismatch = errors.New("value does not match its commitment")
	// ErrMalformed: sealed data that is not envelope version 2 as specified.
	ErrMalformed = errors.New("malformed sealed data")
)

// Secret is what one commitment hides: the field's concrete path
// ("signer", "parts.1.speaker.actorId"), its salt and its value as RFC 8785
// canonical JSON (a string keeps its quotes).
type Secret struct {
	Path  string          `json:"path"`
	Salt  []byte          `json:"salt"`
	Value json.RawMessage `json:"value"`
}

// Commit returns SHA-256(salt ‖ value): the salt's bytes followed by the
// value's canonical JSON bytes, nothing between them.
func Commit(salt, value []byte) eventstore.Hash {
	h := sha256.New()
	h.Write(salt)
	h.Write(value)
	var out eventstore.Hash
	h.Sum(out[:0])
	return out
}

// Commitment is the text a committed field holds: Prefix and the hex of
// Commit(salt, value).
func Commitment(salt, value []byte) string {
	c := Commit(salt, value)
	return Prefix + hex.EncodeToString(c[:])
}

// ParseCommitment decodes a field's commitment text.
func ParseCommitment(s string) (eventstore.Hash, error) {
	hx, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return eventstore.Hash{}, fmt.Errorf("%w: %q is not a commitment", ErrMalformed, s)
	}
	return eventstore.ParseHash(hx)
}

// Check reports whether s opens commitment c, naming the field if not.
func (s Secret) Check(commitment string) error {
	c, err := ParseCommitment(commitment)
	if err != nil {
		return fmt.Errorf("field %s: %w", s.Path, err)
	}
	if Commit(s.Salt, s.Value) != c {
		return fmt.Errorf("field %s: %w", s.Path, ErrMismatch)
	}
	return nil
}

// Seal commits the fields of data (a JSON object) at the given paths
// (domain.PrivateFields: "signer", "parts.*.speaker.actorId"; "*" is every
// element of a list), each with a fresh salt from rnd (crypto/rand if nil).
// Absent fields are skipped. It returns the sealed data in RFC 8785
// canonical form and the secrets, one per committed field, in path order.
// With no field to commit it returns data unchanged (canonicalised) and no
// secrets: the event stays envelope version 1.
func Seal(data []byte, paths []string, rnd io.Reader) ([]byte, []Secret, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	return SealWith(data, paths, func(path string) ([]byte, error) {
		salt := make([]byte, SaltSize)
		if _, err := io.ReadFull(rnd, salt); err != nil {
			return nil, fmt.Errorf("salt for %s: %w", path, err)
		}
		return salt, nil
	})
}

// SealWith is Seal with the salt of each field given by saltFor (a retried
// append reuses the salts it kept, so that it seals to the same bytes).
func SealWith(data []byte, paths []string, saltFor func(path string) ([]byte, error)) ([]byte, []Secret, error) {
	doc, err := decodeObject(data)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := doc[CommitmentsKey]; ok {
		return nil, nil, fmt.Errorf("%w: data already holds %s", ErrMalformed, CommitmentsKey)
	}
	var secrets []Secret
	for _, pattern := range paths {
		err := visit(doc, strings.Split(pattern, "."), "", func(parent any, key, path string) error {
			v := get(parent, key)
			value, err := canonical(v)
			if err != nil {
				return fmt.Errorf("field %s: %w", path, err)
			}
			salt, err := saltFor(path)
			if err != nil {
				return err
			}
			if len(salt) < 16 {
				return fmt.Errorf("salt for %s: %d bytes, want at least 16", path, len(salt))
			}
			set(parent, key, Commitment(salt, value))
			secrets = append(secrets, Secret{Path: path, Salt: salt, Value: value})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if len(secrets) == 0 {
		out, err := canonical(doc)
		return out, nil, err
	}
	slices.SortFunc(secrets, func(a, b Secret) int { return strings.Compare(a.Path, b.Path) })
	list := make([]any, len(secrets))
	for i, s := range secrets {
		list[i] = s.Path
	}
	doc[CommitmentsKey] = list
	out, err := canonical(doc)
	return out, secrets, err
}

// IsErased reports whether an opened field's value is a commitment: its
// secret was erased.
func IsErased(value string) bool {
	_, err := ParseCommitment(value)
	return err == nil
}

// IsSealed reports whether data is envelope version 2 (holds
// CommitmentsKey). It only looks for the key's bytes, so a false positive is
// possible for data that mentions the key in a string; Commitments decides.
func IsSealed(data []byte) bool { return bytes.Contains(data, []byte(`"`+CommitmentsKey+`"`)) }

// Commitments returns the commitment of each committed field of sealed
// data, by path (nil for envelope version 1 data).
func Commitments(data []byte) (map[string]string, error) {
	if !IsSealed(data) {
		return nil, nil
	}
	doc, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	return commitmentsOf(doc)
}

func commitmentsOf(doc map[string]any) (map[string]string, error) {
	raw, ok := doc[CommitmentsKey]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("%w: %s is not a list of paths", ErrMalformed, CommitmentsKey)
	}
	out := make(map[string]string, len(list))
	for _, p := range list {
		path, ok := p.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %s holds a non-string", ErrMalformed, CommitmentsKey)
		}
		var c string
		err := visit(doc, strings.Split(path, "."), "", func(parent any, key, _ string) error {
			s, ok := get(parent, key).(string)
			if !ok {
				return fmt.Errorf("%w: field %s is not a commitment", ErrMalformed, path)
			}
			c = s
			return nil
		})
		if err != nil {
			return nil, err
		}
		if _, err := ParseCommitment(c); err != nil {
			return nil, fmt.Errorf("field %s: %w", path, err)
		}
		out[path] = c
	}
	return out, nil
}

// Verify checks every secret against the commitment of its field in sealed
// data; it names each field whose value, salt or commitment was changed,
// and each secret for a field that is not committed.
func Verify(data []byte, secrets []Secret) error {
	cs, err := Commitments(data)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range secrets {
		c, ok := cs[s.Path]
		if !ok {
			errs = append(errs, fmt.Errorf("field %s: %w: no such commitment", s.Path, ErrMismatch))
			continue
		}
		if err := s.Check(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Open returns data as it was before Seal: each committed field whose
// secret is given put back (checked against its commitment) and the
// CommitmentsKey removed. A field without a secret (erased) keeps its
// commitment in place of its value, and is returned in erased. Envelope
// version 1 data is returned as is.
func Open(data []byte, secrets []Secret) (opened []byte, erased []string, err error) {
	if !IsSealed(data) {
		return data, nil, nil
	}
	doc, err := decodeObject(data)
	if err != nil {
		return nil, nil, err
	}
	cs, err := commitmentsOf(doc)
	if err != nil {
		return nil, nil, err
	}
	if cs == nil {
		return data, nil, nil
	}
	bySecret := make(map[string]Secret, len(secrets))
	for _, s := range secrets {
		bySecret[s.Path] = s
	}
	for _, path := range slices.Sorted(maps.Keys(cs)) {
		s, ok := bySecret[path]
		if !ok {
			erased = append(erased, path)
			continue
		}
		if err := s.Check(cs[path]); err != nil {
			return nil, nil, err
		}
		var v any
		if err := decodeValue(s.Value, &v); err != nil {
			return nil, nil, fmt.Errorf("field %s: %w", path, err)
		}
		if err := visit(doc, strings.Split(path, "."), "", func(parent any, key, _ string) error {
			set(parent, key, v)
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	delete(doc, CommitmentsKey)
	out, err := canonical(doc)
	return out, erased, err
}

// ---- JSON paths ----

// visit calls fn for each field the path pattern names in v, with its
// parent container, its key (a name or a list index) and its concrete path.
// Absent fields are skipped.
func visit(v any, pattern []string, prefix string, fn func(parent any, key, path string) error) error {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		k := pattern[0]
		child, ok := x[k]
		if !ok {
			return nil
		}
		if len(pattern) == 1 {
			return fn(x, k, join(k))
		}
		return visit(child, pattern[1:], join(k), fn)
	case []any:
		var keys []string
		if pattern[0] == "*" {
			for i := range x {
				keys = append(keys, strconv.Itoa(i))
			}
		} else {
			keys = []string{pattern[0]}
		}
		for _, k := range keys {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				continue
			}
			if len(pattern) == 1 {
				if err := fn(x, k, join(k)); err != nil {
					return err
				}
				continue
			}
			if err := visit(x[i], pattern[1:], join(k), fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func get(parent any, key string) any {
	switch p := parent.(type) {
	case map[string]any:
		return p[key]
	case []any:
		i, _ := strconv.Atoi(key)
		return p[i]
	}
	return nil
}

func set(parent any, key string, v any) {
	switch p := parent.(type) {
	case map[string]any:
		p[key] = v
	case []any:
		i, _ := strconv.Atoi(key)
		p[i] = v
	}
}

func decodeObject(data []byte) (map[string]any, error) {
	var doc map[string]any
	if err := decodeValue(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if doc == nil {
		return nil, fmt.Errorf("%w: data is not a JSON object", ErrMalformed)
	}
	return doc, nil
}

func decodeValue(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// canonical returns v's RFC 8785 form.
func canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return eventstore.CanonicalJSON(bytes.TrimRight(buf.Bytes(), "\n"))
}

// randomSalt returns SaltSize bytes from crypto/rand.
func randomSalt(path string) ([]byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("salt for %s: %w", path, err)
	}
	return salt, nil
}

// Replace returns data (a JSON object) in canonical form with the field at
// each concrete path ("signer", "parts.0.speaker.actorId") set to the given
// string; absent fields are left absent. Read models use it to put an
// erased field's commitment where its value was, so that what they hold
// equals what a rebuild from the log (which opens it without the value)
// would.
func Replace(data []byte, values map[string]string) ([]byte, error) {
	doc, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	for _, path := range slices.Sorted(maps.Keys(values)) {
		err := visit(doc, strings.Split(path, "."), "", func(parent any, key, _ string) error {
			set(parent, key, values[path])
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return canonical(doc)
}
