// Package chain makes the cache tamper-evident: every event and session row
// that enters it is hashed over a canonical encoding, and the hashes are
// bound into an append-only chain of records, each linked to the one before
// by SHA-256. A legitimate deletion (retention) writes a checkpoint record
// signed with an ed25519 key kept in the configuration directory; an export
// writes a signed manifest beside its file.
//
// The package holds the pure parts (encoding, segment and batch digests,
// record links, signing keys, manifests). The store (pkg/store/sqlite) keeps
// the tables and walks them; docs/architecture.md ("Tamper evidence") and
// docs/security.md say what is proven and what is not.
//
// The structure, from the bottom:
//
//   - row hash: SHA-256 of the canonical encoding of one row's stored
//     columns (RowHasher). Kept per row in a side table keyed by the row.
//   - segment: up to SegmentRows consecutive rows of one write batch, in
//     ingest order; its digest is SHA-256 over (key, row hash) of its rows
//     sorted by key, so that it can be recomputed from a scan in key order.
//   - batch: one import, one sync slice, one session write. Its body lists
//     its segments (rows, key range, digest); its digest is SHA-256 of the
//     body.
//   - record: one entry of the global chain, appended only when the batch
//     is published: link = SHA-256(prev link, seq, kind, batch, rows, time,
//     digest). A checkpoint record also carries a signature of its link.
package chain
