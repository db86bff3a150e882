package explore

import "context"

// Head reads up to n rows of path (the first page for the table view);
// missing cells are "" with missing[r][c] set.
func Head(ctx context.Context, path string, n int, ro ReadOptions) (cols []string, rows [][]string, missing [][]bool, err error) {
	if ro.BatchRows == 0 {
		ro.BatchRows = max(min(n, 4096), 1)
	}
	r, err := Open(path, ro)
	if err != nil {
		return nil, nil, nil, err
	}
	defer r.Close()
	var b Batch
	for len(rows) < n {
		more, err := nextBatch(ctx, r, &b)
		if err != nil {
			return nil, nil, nil, err
		}
		if !more {
			break
		}
		for i := 0; i < b.Len() && len(rows) < n; i++ {
			row, miss := b.Row(i), make([]bool, b.NumCols())
			for c := range row {
				if b.Missing(i, c) {
					row[c], miss[c] = "", true
				}
			}
			rows = append(rows, row)
			missing = append(missing, miss)
		}
	}
	return r.Columns(), rows, missing, nil
}
