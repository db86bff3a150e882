package explore

import (
	"context"
	"path/filepath"
	"testing"
)

func TestHead(t *testing.T) {
	path := filepath.Join("testdata", "penguins.json")
	cols, rows, miss, err := Head(context.Background(), path, 5, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 7 || len(rows) != 5 || rows[0][0] != "Adelie" {
		t.Fatalf("head: %v %v", cols, rows)
	}
	// Row 4 of penguins.json (index 3) has nulls for the measurements.
	if !miss[3][2] || miss[0][2] {
		t.Errorf("missing flags %v", miss)
	}
}
