package engine

import (
	"context"

	"github.com/lathe-ml/lathe/experiments"
)

// ResolveRef finds the lineage nodes a reference names: a run id or
// prefix, a dataset version (dataset:ID, or a bare ID as the lists show
// them), a sha256 prefix of a dataset or artifact, a dataset path, a study
// name (experiments.Workspace.ResolveRef). A hash prefix shared by several
// nodes of the same content gives them all, datasets first.
func (e *Engine) ResolveRef(ctx context.Context, ref string) ([]experiments.Node, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	nodes, err := e.ws.ResolveRef(ctx, ref)
	if err != nil && isDigits(ref) {
		// A bare number is a dataset version's id, as `lathe data ls` and
		// the Lineage picker list them.
		if n, err2 := e.ws.ResolveRef(ctx, experiments.KindDataset+":"+ref); err2 == nil {
			return n, nil
		}
	}
	return nodes, err
}

// Lineage walks the graph from roots in dir, up to depth edges (0: all).
func (e *Engine) Lineage(ctx context.Context, roots []experiments.Node, dir experiments.Direction, depth int) (*experiments.Graph, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	return e.ws.Store.Lineage(ctx, roots, dir, depth)
}

// LineageRoots are the candidates a lineage picker offers: the newest runs
// and dataset versions (at most limit of each) and every study.
type LineageRoots struct {
	Runs     []experiments.Run
	Datasets []experiments.Dataset
	Studies  []experiments.Study
}

// ListLineageRoots reads LineageRoots.
func (e *Engine) ListLineageRoots(ctx context.Context, limit int) (LineageRoots, error) {
	var out LineageRoots
	if err := e.need(); err != nil {
		return out, err
	}
	var err error
	if out.Runs, err = e.ws.Store.ListRuns(ctx, experiments.RunFilter{Limit: limit}); err != nil {
		return out, err
	}
	if out.Datasets, err = e.ws.Store.ListDatasets(ctx); err != nil {
		return out, err
	}
	if limit > 0 && len(out.Datasets) > limit {
		out.Datasets = out.Datasets[:limit]
	}
	if out.Studies, err = e.ws.Store.ListStudies(ctx); err != nil {
		return out, err
	}
	return out, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
