package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// AddDerived registers a source dataset version and the versions derived
// from it (the files a split wrote, say), with a derived_from edge from the
// source to each that records the operation and its parameters. Every step
// is idempotent (AddDataset, AddEdge), so running it again after a partial
// failure completes the record without duplicating it. The CLI's
// `lathe data split` and the TUI's split dialog both call it.
func (s *Store) AddDerived(ctx context.Context, source Dataset, derived []Dataset, operation string, params any) (Dataset, []Dataset, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return source, nil, fmt.Errorf("%s parameters: %w", operation, err)
	}
	src, _, err := s.AddDataset(ctx, source)
	if err != nil {
		return source, nil, err
	}
	out := make([]Dataset, 0, len(derived))
	for _, d := range derived {
		got, _, err := s.AddDataset(ctx, d)
		if err != nil {
			return src, out, err
		}
		err = s.AddEdge(ctx, Edge{
			From:      Node{Kind: KindDataset, ID: strconv.FormatInt(src.ID, 10)},
			To:        Node{Kind: KindDataset, ID: strconv.FormatInt(got.ID, 10)},
			Kind:      EdgeDerivedFrom,
			Operation: operation,
			Params:    raw,
		})
		if err != nil {
			return src, out, err
		}
		out = append(out, got)
	}
	return src, out, nil
}
