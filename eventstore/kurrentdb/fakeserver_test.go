package kurrentdb

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeServer is an in-memory stand-in for KurrentDB's gRPC Streams
// service, for testing this package without a server. It implements what
// the store uses, the way the server documents it and its sources show
// it: appends with expected revisions and idempotency for the same event
// IDs at the same place, forward and backward reads of streams and $all
// (forward reads include their start position), catch-up subscriptions to
// $all with event-type and stream filters, and non-dense positions with
// system records interleaved. It is not KurrentDB: passing against it
// shows that the adapter's logic is sound, not that the server behaves as
// assumed; the conformance suite against a real server (KURRENTDB_URL)
// checks that.
type fakeServer struct {
	api.UnimplementedStreamsServer

	mu      sync.Mutex
	log     []*fakeRecord
	streams map[string][]*fakeRecord
	next    uint64
	changed chan struct{}
	appends int

	// Test knobs, set before use or under mu.
	dropAfter     int             // end each subscription with Unavailable after this many events (0: never)
	failAppends   int             // refuse the next this many appends with Unavailable
	oldServer     bool            // report no $all position on stream reads, like EventStoreDB before 22.6
	interfere     map[string]bool // streams another writer appends to just before each append with an expected revision
	maxAppendSize int

	addr string
	srv  *grpc.Server
}

type fakeRecord struct {
	id          uuid.UUID
	stream      string
	revision    uint64
	typ         string
	contentType string
	created     int64 // .NET ticks since the Unix epoch
	data, meta  []byte
	pos         uint64
}

// startFake starts a fake server on a localhost port for the test.
func startFake(t testing.TB) *fakeServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("cannot listen on localhost: %v", err)
	}
	f := &fakeServer{streams: map[string][]*fakeRecord{}, next: 1000, changed: make(chan struct{}), maxAppendSize: 1 << 20}
	f.mu.Lock()
	f.writeLocked("$$$stats-0.0.0.0:2113", "$metadata", uuid.New(), []byte(`{"$maxAge":86400}`), nil)
	f.writeLocked("$stats-0.0.0.0:2113", "$statsCollected", uuid.New(), []byte(`{}`), nil)
	f.writeLocked("$users", "$User", uuid.New(), []byte(`{"loginName":"admin"}`), nil)
	f.mu.Unlock()
	f.srv = grpc.NewServer()
	api.RegisterStreamsServer(f.srv, f)
	go f.srv.Serve(lis) //nolint:errcheck // ends with Stop
	t.Cleanup(f.srv.Stop)
	f.addr = lis.Addr().String()
	return f
}

// url is a connection string for the fake.
func (f *fakeServer) url() string {
	return "esdb://" + f.addr + "?tls=false&maxDiscoverAttempts=2&discoveryInterval=10"
}

func (f *fakeServer) writeLocked(stream, typ string, id uuid.UUID, data, meta []byte) *fakeRecord {
	r := &fakeRecord{
		id: id, stream: stream, revision: uint64(len(f.streams[stream])), typ: typ,
		contentType: "application/json", created: time.Now().UnixNano() / 100,
		data: data, meta: meta, pos: f.next,
	}
	// Positions are byte offsets in the real transaction log: increasing,
	// with gaps.
	f.next += uint64(80 + len(stream) + len(typ) + len(data) + len(meta))
	f.log = append(f.log, r)
	f.streams[stream] = append(f.streams[stream], r)
	return r
}

func (f *fakeServer) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// set changes the test knobs safely while the server runs.
func (f *fakeServer) set(change func(f *fakeServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// writeForeign stores an event as another application would.
func (f *fakeServer) writeForeign(stream string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeLocked(stream, "other.thing", uuid.New(), []byte(`{"x":1}`), []byte(`{"by":"someone else"}`))
	f.notifyLocked()
}

func uuidFromProto(u *shared.UUID) (uuid.UUID, error) {
	if s := u.GetStructured(); s != nil {
		return esdb.ParseUUIDFromInt64(s.MostSignificantBits, s.LeastSignificantBits)
	}
	return uuid.Parse(u.GetString_())
}

// Append implements the Streams service.
func (f *fakeServer) Append(srv api.Streams_AppendServer) error {
	req, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := req.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "options first")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	type proposed struct {
		id         uuid.UUID
		typ        string
		data, meta []byte
	}
	var msgs []proposed
	size := 0
	for {
		r, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		m := r.GetProposedMessage()
		if m == nil {
			return status.Error(codes.InvalidArgument, "proposed message expected")
		}
		typ, ok := m.Metadata["type"]
		if !ok || m.Metadata["content-type"] == "" {
			return status.Error(codes.InvalidArgument, "Required Metadata Property 'type' is missing")
		}
		id, err := uuidFromProto(m.Id)
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		size += len(m.Data) + len(m.CustomMetadata) + len(typ)
		msgs = append(msgs, proposed{id, typ, m.Data, m.CustomMetadata})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAppends > 0 {
		f.failAppends--
		return status.Error(codes.Unavailable, "Server Is Not Ready")
	}
	if size > f.maxAppendSize {
		return status.Error(codes.InvalidArgument, fmt.Sprintf("Maximum Append Size of %d Exceeded.", f.maxAppendSize))
	}
	if _, ok := opts.ExpectedStreamRevision.(*api.AppendReq_Options_Revision); ok && f.interfere[stream] {
		f.writeLocked(stream, "other.writer", uuid.New(), []byte(`{}`), []byte(`{}`))
	}
	existing := f.streams[stream]
	cur := int64(len(existing)) - 1
	const any, streamExists = -2, -4
	var expected int64
	wrong := &api.AppendResp_WrongExpectedVersion{}
	switch e := opts.ExpectedStreamRevision.(type) {
	case *api.AppendReq_Options_Revision:
		expected = int64(e.Revision)
		wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: e.Revision}
	case *api.AppendReq_Options_NoStream:
		expected = -1
		wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *api.AppendReq_Options_Any:
		expected = any
		wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	case *api.AppendReq_Options_StreamExists:
		expected = streamExists
		wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		return status.Error(codes.InvalidArgument, "no expected revision")
	}
	refuse := func() error {
		if cur < 0 {
			wrong.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		} else {
			wrong.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(cur)}
		}
		return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: wrong}})
	}
	succeed := func(last *fakeRecord) error {
		return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
			CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.revision},
			PositionOption:        &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{CommitPosition: last.pos, PreparePosition: last.pos}},
		}}})
	}
	if len(msgs) == 0 {
		return status.Error(codes.InvalidArgument, "no events")
	}
	// Idempotency, as the server's commit check does it: with an expected
	// revision behind the stream, the same IDs at the places it names; with
	// Any or StreamExists, the same IDs already in this stream, in a row.
	switch {
	case expected >= -1 && expected < cur:
		for i, m := range msgs {
			at := expected + 1 + int64(i)
			if at > cur || existing[at].id != m.id {
				return refuse()
			}
		}
		return succeed(existing[expected+int64(len(msgs))])
	case expected >= -1 && expected > cur:
		return refuse()
	case expected == streamExists && cur < 0:
		return refuse()
	case expected == any || expected == streamExists:
		if at := slices.IndexFunc(existing, func(r *fakeRecord) bool { return r.id == msgs[0].id }); at >= 0 {
			for i, m := range msgs {
				if at+i >= len(existing) || existing[at+i].id != m.id {
					return status.Error(codes.Unknown, "Unexpected OperationResult: CorruptedIdempotency")
				}
			}
			return succeed(existing[at+len(msgs)-1])
		}
	}
	var last *fakeRecord
	for _, m := range msgs {
		last = f.writeLocked(stream, m.typ, m.id, m.data, m.meta)
	}
	f.appends++
	if f.appends%3 == 0 {
		// The server writes its own records between the ledger's.
		f.writeLocked("$stats-0.0.0.0:2113", "$statsCollected", uuid.New(), []byte(`{"proc":1}`), nil)
	}
	f.notifyLocked()
	return succeed(last)
}

func (r *fakeRecord) resp(withAllPosition bool, oldServer bool) *api.ReadResp {
	most, least := esdb.UUIDAsInt64(r.id)
	rec := &api.ReadResp_ReadEvent_RecordedEvent{
		Id:               &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: most, LeastSignificantBits: least}}},
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
		StreamRevision:   r.revision,
		PreparePosition:  r.pos,
		CommitPosition:   r.pos,
		Metadata:         map[string]string{"type": r.typ, "content-type": r.contentType, "created": strconv.FormatInt(r.created, 10)},
		CustomMetadata:   r.meta,
		Data:             r.data,
	}
	ev := &api.ReadResp_ReadEvent{Event: rec}
	if withAllPosition {
		ev.Position = &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.pos}
	} else {
		ev.Position = &api.ReadResp_ReadEvent_NoPosition{NoPosition: &shared.Empty{}}
		if oldServer {
			rec.CommitPosition, rec.PreparePosition = math.MaxUint64, math.MaxUint64
		}
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: ev}}
}

// Read implements the Streams service.
func (f *fakeServer) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	if o.GetSubscription() != nil {
		if o.GetAll() == nil {
			return status.Error(codes.Unimplemented, "fake: stream subscriptions")
		}
		return f.subscribeAll(o, srv)
	}
	count := o.GetCount()
	f.mu.Lock()
	var recs []*fakeRecord
	withAll := o.GetAll() != nil
	if so := o.GetStream(); so != nil {
		all, ok := f.streams[string(so.GetStreamIdentifier().GetStreamName())]
		if !ok {
			f.mu.Unlock()
			return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{StreamIdentifier: so.GetStreamIdentifier()}}})
		}
		switch rv := so.RevisionOption.(type) {
		case *api.ReadReq_Options_StreamOptions_Start:
			if !backwards {
				recs = all
			}
		case *api.ReadReq_Options_StreamOptions_End:
			if backwards {
				recs = all
			}
		case *api.ReadReq_Options_StreamOptions_Revision:
			switch {
			case backwards:
				recs = all[:min(int(rv.Revision)+1, len(all))]
			case rv.Revision < uint64(len(all)):
				recs = all[rv.Revision:]
			}
		}
	} else {
		ao := o.GetAll()
		switch p := ao.AllOption.(type) {
		case *api.ReadReq_Options_AllOptions_Start:
			if !backwards {
				recs = f.log
			}
		case *api.ReadReq_Options_AllOptions_End:
			if backwards {
				recs = f.log
			}
		case *api.ReadReq_Options_AllOptions_Position:
			at, exact := slices.BinarySearchFunc(f.log, p.Position.CommitPosition, byPos)
			if !exact && p.Position.CommitPosition < f.next {
				f.mu.Unlock()
				return status.Error(codes.InvalidArgument, "Trying to read from an invalid position.")
			}
			if backwards {
				recs = f.log[:at] // backwards reads end before their start
			} else {
				recs = f.log[at:] // forwards reads include it
			}
		}
	}
	recs = slices.Clone(recs)
	old := f.oldServer
	f.mu.Unlock()
	if backwards {
		slices.Reverse(recs)
	}
	for i, r := range recs {
		if uint64(i) >= count {
			break
		}
		if err := srv.Send(r.resp(withAll, old)); err != nil {
			return err
		}
	}
	return nil
}

func byPos(r *fakeRecord, pos uint64) int { return cmp.Compare(r.pos, pos) }

// subscribeAll serves a catch-up subscription to $all: stored records
// after the start position (exclusive), a caught-up notice, then live
// records.
func (f *fakeServer) subscribeAll(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	keep := func(*fakeRecord) bool { return true }
	if flt := o.GetFilter(); flt != nil {
		var expr *api.ReadReq_Options_FilterOptions_Expression
		field := func(r *fakeRecord) string { return r.typ }
		if e := flt.GetEventType(); e != nil {
			expr = e
		} else {
			expr = flt.GetStreamIdentifier()
			field = func(r *fakeRecord) string { return r.stream }
		}
		if expr.GetRegex() != "" {
			re, err := regexp.Compile(expr.GetRegex())
			if err != nil {
				return status.Error(codes.InvalidArgument, err.Error())
			}
			keep = func(r *fakeRecord) bool { return re.MatchString(field(r)) }
		} else {
			prefixes := expr.GetPrefix()
			keep = func(r *fakeRecord) bool {
				return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(field(r), p) })
			}
		}
	}
	if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	f.mu.Lock()
	idx := 0
	switch p := o.GetAll().AllOption.(type) {
	case *api.ReadReq_Options_AllOptions_End:
		idx = len(f.log)
	case *api.ReadReq_Options_AllOptions_Position:
		idx, _ = slices.BinarySearchFunc(f.log, p.Position.CommitPosition+1, byPos)
	}
	dropAfter := f.dropAfter
	f.mu.Unlock()
	sent, caughtUp := 0, false
	for {
		f.mu.Lock()
		recs, changed, next := f.log[idx:], f.changed, f.next
		f.mu.Unlock()
		for _, r := range recs {
			idx++
			if !keep(r) {
				continue
			}
			if err := srv.Send(r.resp(true, false)); err != nil {
				return err
			}
			sent++
			if dropAfter > 0 && sent >= dropAfter {
				return status.Error(codes.Unavailable, "fake: subscription dropped")
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
			// Filtered subscriptions send checkpoints, some with prepare
			// position 0; the store must ignore them.
			if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{CommitPosition: next - 1}}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
		case <-srv.Context().Done():
			return srv.Context().Err()
		}
	}
}
