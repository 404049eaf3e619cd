// Package transparency is the ledger's verifiable record: a Merkle
// transparency log over every event's content hash, signed checkpoints of
// it, proofs, and the verification an auditor runs without trusting the
// operator.
//
// # The tree
//
// Leaf i of the tree is the i-th event of the global log, in position order
// (every event, checkpoint events included). Its leaf hash is RFC 6962's:
//
//	leaf hash  = SHA-256(0x00 ‖ content hash)       (the 32 bytes of docs/content-hash.md)
//	node hash  = SHA-256(0x01 ‖ left ‖ right)
//	root(n)    = RFC 6962 Merkle Tree Hash of leaves 0..n-1; root(0) = SHA-256("")
//
// The content hash leaves the position out; the tree puts it back: moving,
// removing or inserting an event changes the root of every tree that covers
// it. The tree, its proofs and their checks are golang.org/x/mod/sumdb/tlog
// (the Go checksum database's log); this package only stores its hashes.
//
// # Running it (server side)
//
//	signer, trusted, _ := transparency.ReadSignerFile("keys/ledger-checkpoint.key")
//	guard := transparency.NewCheckpointGuard(transparency.GuardConfig{Verifiers: trusted})
//	store, _ := eventstore.Open(ctx, storeURL, eventstore.Config{Guards: guard.Guards()}) // CheckpointStream takes only our signed checkpoints
//	hashes, _ := transparency.OpenPostgres(ctx, transparency.PostgresConfig{URL: dbURL}) // or NewMemoryStore()
//	log, _ := transparency.Open(ctx, transparency.Config{Store: hashes, Verifiers: trusted, Guard: guard})
//	go log.Follow(ctx, store) // appends every event as a leaf, batched, resuming at the tree's position
//
//	pub, _ := transparency.NewPublisher(transparency.PublisherConfig{Log: log, Store: store, Signer: signer, Interval: time.Minute})
//	go pub.Run(ctx) // signs a checkpoint when the tree grew; appends it to stream "ledger-checkpoints"
//
//	web.RegisterProofs(mux, log, logger) // GET /api/v1/checkpoints/latest, /api/v1/proofs/...
//
// A HashStore keeps the tree: MemoryStore (rebuilt from the log at every
// start, as the in-memory read models are) or PostgresStore (tables beside
// the read models, each batch of leaves committed in one transaction with
// the tree's size and position, so a restart resumes where it stopped).
// Follow refuses an event whose content no longer matches its content hash:
// the tree stops there (Log.Status reports it failed) and the publisher
// signs nothing over it; it also refuses to sign a tree whose root at the
// latest checkpoint's size is not that checkpoint's root.
//
// # Checkpoints
//
// A checkpoint is the C2SP tlog-checkpoint text
//
//	collab-ledger.pdis.tw/log
//	<tree size>
//	<root hash, standard base64>
//
// signed as a note (golang.org/x/mod/sumdb/note, Ed25519; keys from
// `collabledger keygen`). Every published checkpoint is appended to the log
// itself, as a CheckpointType event on CheckpointStream whose data holds the
// size, the root hash (hex) and the signed note, so checkpoints survive
// restarts in every mode and travel with an export. A checkpoint event is
// itself a later leaf: checkpoint k+1 covers checkpoint k. The store guards
// CheckpointStream (CheckpointGuard in eventstore.Config.Guards): it takes
// only checkpoint events signed with the trusted keys, as CheckpointEvent
// makes them, never a smaller tree than the latest; a process without the
// key opens it closed.
//
// # Witnesses
//
// A Publisher given WitnessClients (PublisherConfig.Witnesses) offers every
// checkpoint to each witness over C2SP tlog-witness (add-checkpoint with the
// consistency proof from the size the witness last cosigned), checks the
// witness's C2SP tlog-cosignature (cosignature/v1) with its key, and appends
// it to CheckpointStream as a CosignatureType event after the checkpoint;
// Log.Witnessed serves the checkpoint with its cosignature lines (GET
// /checkpoint). A Policy (C2SP tlog-policy) says which witnesses count and
// how many: VerifyConfig.Policy enforces it, naming what is missing
// (ErrNotWitnessed). A Monitor follows a log's published checkpoints, checks
// each extends the largest seen, keeps what each witness cosigned, and
// reports ErrEquivocation and ErrRollback with the signed notes.
//
// A deployment's origin is its key's name, "<deployment>/<key hash>"
// (GenerateKey), so that no two logs share one.
//
// # Verifying (auditor side)
//
//	trusted, _ := transparency.ReadVerifierFiles("ledger-checkpoint.pub")
//	report, err := transparency.VerifyExport(ctx, file, transparency.VerifyConfig{Verifiers: trusted})
//	if err == nil && report.Err() != nil { /* a *Problem: kind and first bad position */ }
//
// VerifyExport (or VerifyStore) recomputes every content hash, checks that
// positions are dense and increasing and that every stream's versions run
// 1, 2, 3, ..., rebuilds the tree, and checks every checkpoint in the log
// (and any given) against the trusted keys and the rebuilt tree, and each
// against the one before it (consistency). Findings are *Problem values
// wrapping ErrContentChanged, ErrEventMissing, ErrOrderChanged or
// ErrSignatureInvalid, by position. docs/verification.md is the auditor's
// guide; `collabledger verify` runs all this from the command line.
package transparency
