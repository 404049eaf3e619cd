package eventstore

import "strconv"

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Expectation is what an append expects of its stream: optimistic
// concurrency control. Use Any, NoStream, StreamExists or Exact.
type Expectation struct {
	kind    expectKind
	version uint64
}

var (
	// Any appends whatever the stream's version.
	Any = Expectation{kind: expectAny}
	// NoStream appends only to a stream with no events.
	NoStream = Expectation{kind: expectNoStream}
	// StreamExists appends only to a stream with at least one event.
	StreamExists = Expectation{kind: expectStreamExists}
)

// Exact appends only if the stream's current version is v: the version of its
// last event. Exact(0) is the same as NoStream.
func Exact(v uint64) Expectation {
	if v == 0 {
		return NoStream
	}
	return Expectation{kind: expectExact, version: v}
}

// Allows reports whether a stream whose current version is actual satisfies e.
func (e Expectation) Allows(actual uint64) bool {
	switch e.kind {
	case expectNoStream:
		return actual == 0
	case expectStreamExists:
		return actual > 0
	case expectExact:
		return actual == e.version
	default:
		return true
	}
}

// IsAny reports whether e is Any.
func (e Expectation) IsAny() bool { return e.kind == expectAny }

// IsStreamExists reports whether e is StreamExists.
func (e Expectation) IsStreamExists() bool { return e.kind == expectStreamExists }

// ExactVersion returns the version e expects and true, when e is Exact or
// NoStream (version 0); 0 and false for Any and StreamExists.
func (e Expectation) ExactVersion() (uint64, bool) {
	switch e.kind {
	case expectNoStream:
		return 0, true
	case expectExact:
		return e.version, true
	}
	return 0, false
}

// String describes e as "any", "no stream", "stream exists" or "version N".
func (e Expectation) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return "version " + strconv.FormatUint(e.version, 10)
	default:
		return "any"
	}
}
