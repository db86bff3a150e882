//go:build !linux && !darwin

package experiments

import "io/fs"

// Elsewhere the stamp lacks an inode or a ctime, so nothing is cached and
// every input is hashed on every use.
func inodeCtime(fs.FileInfo) (ino uint64, ctime int64, ok bool) { return 0, 0, false }
