package storage

import (
	"encoding/binary"
	"strings"
)

// Key layout. Keys are tuples: a short readable family name, then segments.
// String segments end in 0x00 (a 0x00 or 0x01 inside a value is escaped as
// 0x01 0x01 / 0x01 0x02, so no value can forge a separator); numbers are
// 8-byte big-endian so that byte order is numeric order. Never build a key
// inline: add a function below and a row to this table.
//
//	family  | layout                                         | value
//	--------+------------------------------------------------+------------------------------------------
//	meta    | meta\0 <name>\0                                | schema version (u64) and other settings
//	seq     | seq\0 <Kind>\0                                 | u64: last number issued for Kind
//	obj     | obj\0 <Kind>\0 <n:u64>                         | JSON record {"v":schema,…}
//	uniq    | uniq\0 <Kind>\0 <index>\0 <value>\0            | u64 n of the owner (unique index)
//	idx     | idx\0 <Kind>\0 <index>\0 <value>\0 <n:u64>     | empty (non-unique index)
//	sess    | sess\0 <token sha256 hex>\0                    | JSON session record (Badger TTL = expiry)
//	queue   | queue\0 <state>\0 <enqueued:u64 ns> <task:u64>  | empty: one per active task (Queued, Executing, Cancelling)
//	log     | log\0 <task:u64> <seq:u64>                      | JSON batch of a task's log events from seq on (≤ 64 KiB)
//	blob    | blob\0 <sha256 hex>\0                          | u64: package records referring to the blob
//	feed    | feed\0 <spaceId>\0                             | JSON built-in feed settings of the space
//
// Packages (kind "Packages") are numbered like other records; their
// unique indexes are "version" (<space>/<package id>/<normalized version>)
// and "id" (<space>/packages-<id>.<version>), and "package" (<space>/<package
// id>) lists the versions of one package. A blob file is removed only when
// its blob\0 count reaches zero (see storage/package.go).
//
// Kinds are the app.Kind* collection names ("Environments", "Projects", …)
// plus "DeploymentProcesses" and "VariableSets", which are numbered by the
// project that owns them, and "LibraryVariableSetVariables", numbered by its
// library variable set. meta\0master-key-check\0 holds the master key check
// value (JSON string, sealed under the key). Releases index "version"
// (unique, <ProjectId>/<Version>), "project" and "channel". Unique index values are case-folded and prefixed
// with the space ID where names are unique per space.
type key []byte

func family(name string) key { return append(key(name), 0) }

func (k key) str(s string) key {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			k = append(k, 1, 1)
		case 1:
			k = append(k, 1, 2)
		default:
			k = append(k, c)
		}
	}
	return append(k, 0)
}

func (k key) num(n uint64) key { return binary.BigEndian.AppendUint64(k, n) }

func metaKey(name string) key { return family("meta").str(name) }

func seqKey(kind string) key { return family("seq").str(kind) }

func objKey(kind string, n uint64) key { return objPrefix(kind).num(n) }

func objPrefix(kind string) key { return family("obj").str(kind) }

func uniqKey(kind, index, value string) key {
	return family("uniq").str(kind).str(index).str(fold(value))
}

func idxKey(kind, index, value string, n uint64) key { return idxPrefix(kind, index, value).num(n) }

func idxPrefix(kind, index, value string) key {
	return family("idx").str(kind).str(index).str(fold(value))
}

func sessionKey(hash string) key { return family("sess").str(hash) }

func blobRefKey(sha string) key { return family("blob").str(sha) }

func blobRefPrefix() key { return family("blob") }

func feedSettingsKey(spaceID string) key { return family("feed").str(spaceID) }

// queueKey orders the active tasks of one state by the time they were
// queued (ties by number); it is rewritten with every state change.
func queueKey(state string, enqueued, task uint64) key {
	return queuePrefix(state).num(enqueued).num(task)
}

func queuePrefix(state string) key { return family("queue").str(state) }

// logKey addresses the batch of task's log that starts at seq.
func logKey(task, seq uint64) key { return logPrefix(task).num(seq) }

func logPrefix(task uint64) key { return family("log").num(task) }

// fold makes index values case-insensitive.
func fold(s string) string { return strings.ToLower(s) }

// numAt decodes the trailing u64 of a key.
func numAt(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(k)-8:])
}
