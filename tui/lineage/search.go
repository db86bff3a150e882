package lineage

import "github.com/lathe-ml/lathe/format"

// The picker's / search: one query over the three lists.

// kept are the indexes of sec's rows the / search keeps, matched on the
// row as the picker shows it.
func (s *Screen) kept(sec section) []int {
	return s.search.Keep(s.count(sec), func(i int) []string { return s.rowCols(sec, i) })
}

// rowCols are the columns of a picker row as row draws them, unpadded (a
// dataset row's padding looks at every dataset, too dear per search).
func (s *Screen) rowCols(sec section, i int) []string {
	if sec != secDatasets {
		return []string{s.row(sec, i, 200)}
	}
	d := s.datasets[i]
	rows := "? rows"
	if d.Rows >= 0 {
		rows = itoa(d.Rows) + " rows"
	}
	return []string{format.OneLine(d.Path), "@" + d.SHA256[:min(12, len(d.SHA256))], format.Bytes(d.Size), rows, s.when(d.Created)}
}

// CapturingInput reports whether the search line takes the keys.
func (s *Screen) CapturingInput() bool { return s.mode == modePick && s.search.Editing() }
