package experiments

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestAddDerivedIsIdempotent(t *testing.T) { forEachBackend(t, testAddDerivedIsIdempotent) }

func testAddDerivedIsIdempotent(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	sha := func(c string) string { return strings.Repeat(c, 64) }
	src := Dataset{SHA256: sha("a"), Path: "data/x.csv", Format: "csv", Size: 10, Rows: 3}
	kids := []Dataset{
		{SHA256: sha("b"), Path: "data/x.train.csv", Format: "csv", Size: 6, Rows: 2},
		{SHA256: sha("c"), Path: "data/x.test.csv", Format: "csv", Size: 4, Rows: 1},
	}
	params := map[string]any{"ratios": []float64{0.7, 0.3}, "seed": 7}
	for range 2 {
		p, got, err := s.AddDerived(ctx, src, kids, "split", params)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Path != "data/x.train.csv" {
			t.Fatalf("derived %+v", got)
		}
		edges, err := s.EdgesFrom(ctx, Node{Kind: KindDataset, ID: strconv.FormatInt(p.ID, 10)})
		if err != nil {
			t.Fatal(err)
		}
		if len(edges) != 2 {
			t.Fatalf("%d edges, want 2", len(edges))
		}
		for i, e := range edges {
			var ps struct{ Seed int }
			if e.Kind != EdgeDerivedFrom || e.Operation != "split" || e.To.ID != strconv.FormatInt(got[i].ID, 10) ||
				json.Unmarshal(e.Params, &ps) != nil || ps.Seed != 7 {
				t.Errorf("edge %+v", e)
			}
		}
	}
	all, err := s.ListDatasets(ctx)
	if err != nil || len(all) != 3 {
		t.Errorf("%d versions (%v), want 3", len(all), err)
	}
}
