package experiments

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// The content-hash cache (issue 6) spares a launch from reading every input
// again: a file's sha256 is reused while the file's stat still matches the
// one taken when it was hashed, as git's index does (git's
// Documentation/technical/racy-git.txt). mtime alone is not enough, since
// tools restore it (rsync, tar, os.Chtimes); ctime is set by the kernel on
// every write or metadata change and cannot be set back, and the inode
// catches a file replaced by a rename.

// RacyWindow is how long after a file's last change (ctime) its hash must
// have been taken for the cache to trust it. A write landing just after
// hashing could otherwise leave the same ctime: Linux stamps inodes from a
// clock that ticks once per jiffy (up to 10 ms), some filesystems keep whole
// seconds (ext3, HFS+) or two (FAT), and an NFS server's clock may run a
// little apart from ours. 2 s covers them; a file changed within it is
// hashed again on its next use, which costs one more read, never a wrong
// answer. (git's "racily clean" entries, same idea.)
const RacyWindow = 2 * time.Second

// FileStamp is the part of a file's stat that the cache compares.
type FileStamp struct {
	Size  int64
	Mtime int64 // unix ns
	Ctime int64 // unix ns, the inode change time
	Inode uint64
}

// StampOf returns the stamp of fi (from os.Stat, os.Lstat or File.Stat).
// ok is false where the platform's stat carries no inode or ctime; the
// cache is then never used.
func StampOf(fi fs.FileInfo) (st FileStamp, ok bool) {
	ino, ctime, ok := inodeCtime(fi)
	if !ok {
		return FileStamp{}, false
	}
	return FileStamp{Size: fi.Size(), Mtime: fi.ModTime().UnixNano(), Ctime: ctime, Inode: ino}, true
}

// ContentHash is one cached file hash.
type ContentHash struct {
	Path   string // absolute and clean
	Stamp  FileStamp
	SHA256 string
	// HashedAt is the clock read before the file was opened for hashing.
	HashedAt time.Time
}

// Fresh reports whether h still stands for a file whose stat is now st: the
// whole stamp matches and the file had last changed at least RacyWindow
// before it was hashed, so a later change cannot have kept its ctime.
func (h ContentHash) Fresh(st FileStamp) bool {
	return h.Stamp == st && st.Ctime < h.HashedAt.UnixNano()-int64(RacyWindow)
}

// ContentHashes is the cache's entries for one root path and everything
// below it, keyed by path.
type ContentHashes map[string]ContentHash

// Lookup returns the cached sha256 of the file at path when its entry is
// Fresh for the file's current stamp st, and ok=false otherwise (no entry,
// the file changed, or the entry is racy).
func (c ContentHashes) Lookup(path string, st FileStamp) (sha string, ok bool) {
	h, found := c[path]
	if !found || !h.Fresh(st) {
		return "", false
	}
	return h.SHA256, true
}

// ContentHashes reads, in one query, the cache entries for root and for
// every path under it (root + "/..."): a directory input's files all at
// once. root must be absolute.
func (s *Store) ContentHashes(ctx context.Context, root string) (ContentHashes, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("content hashes: %q is not an absolute path", root)
	}
	root = filepath.Clean(root)
	// The cache describes files on one host, so it is keyed by workspace
	// (a shared store holds every member's). Under SQLite's BINARY
	// collation (and PostgreSQL's C, the store's for text) the paths below root+"/" sort in
	// [root+"/", root+"0"), '0' being the byte after '/', so the primary
	// key's index serves the range. The filesystem root is its own prefix.
	lo, hi := root+"/", root+"0"
	if root == "/" {
		lo, hi = "/", "0"
	}
	ws := s.ident.Workspace
	rows, err := s.db.QueryContext(ctx, `SELECT path, size, mtime, ctime, inode, sha256, hashed_at FROM content_hashes
		WHERE workspace_id = ? AND (path = ? OR (path >= ? AND path < ?))`, ws, root, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("content hashes under %s: %w", root, err)
	}
	defer rows.Close()
	out := ContentHashes{}
	for rows.Next() {
		var h ContentHash
		var ino, at int64
		if err := rows.Scan(&h.Path, &h.Stamp.Size, &h.Stamp.Mtime, &h.Stamp.Ctime, &ino, &h.SHA256, &at); err != nil {
			return nil, err
		}
		h.Stamp.Inode = uint64(ino)
		h.HashedAt = time.Unix(0, at).UTC()
		out[h.Path] = h
	}
	return out, rows.Err()
}

// UpdateContentHashes writes the entries in put (replacing any at the same
// path) and deletes the entries at the paths in drop, in one transaction.
func (s *Store) UpdateContentHashes(ctx context.Context, put []ContentHash, drop []string) error {
	if len(put) == 0 && len(drop) == 0 {
		return nil
	}
	for _, h := range put {
		if !filepath.IsAbs(h.Path) || filepath.Clean(h.Path) != h.Path {
			return fmt.Errorf("content hash: %q is not a clean absolute path", h.Path)
		}
		if !validSHA(h.SHA256) {
			return fmt.Errorf("content hash %s: %q is not a sha256 hex digest", h.Path, h.SHA256)
		}
	}
	ws := s.ident.Workspace
	return s.write(ctx, func(tx *txn) error {
		if len(drop) > 0 {
			del, err := tx.prepare(ctx, `DELETE FROM content_hashes WHERE workspace_id = ? AND path = ?`)
			if err != nil {
				return err
			}
			defer del.Close()
			for _, p := range drop {
				if _, err := del.ExecContext(ctx, tx.d.args([]any{ws, p})...); err != nil {
					return fmt.Errorf("drop content hash %s: %w", p, err)
				}
			}
		}
		if len(put) > 0 {
			ins, err := tx.prepare(ctx, `INSERT INTO content_hashes
				(workspace_id, path, size, mtime, ctime, inode, sha256, hashed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (workspace_id, path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,
					ctime = excluded.ctime, inode = excluded.inode, sha256 = excluded.sha256, hashed_at = excluded.hashed_at`)
			if err != nil {
				return err
			}
			defer ins.Close()
			for _, h := range put {
				if _, err := ins.ExecContext(ctx, tx.d.args([]any{ws, h.Path, h.Stamp.Size, h.Stamp.Mtime, h.Stamp.Ctime,
					int64(h.Stamp.Inode), h.SHA256, h.HashedAt.UnixNano()})...); err != nil {
					return fmt.Errorf("put content hash %s: %w", h.Path, err)
				}
			}
		}
		return nil
	})
}
