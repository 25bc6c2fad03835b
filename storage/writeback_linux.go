package storage

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing a just-written range of f
// to disk (sync_file_range SYNC_FILE_RANGE_WRITE: it does not wait for the
// I/O, and it guarantees nothing — the fsync that follows still does). A
// big upload then reaches its final fsync with most of its pages already
// on their way, instead of all of them still dirty. Errors are ignored: it
// is a hint.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
	syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), uintptr(n), syncFileRangeWrite, 0, 0)
}
