package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// Tuning workers: many drivers on one study (tune_run.go). A worker is one
// lathe process, named "host:pid-random" (the random part keeps a reused
// pid from inheriting a dead worker's trials) and alive while it holds the
// store lock "worker-<name>". Each trial records its worker; the trials of
// a worker that is gone, and trials nobody drives, are adopted (compare and
// swap on the trial's worker, so one adopter wins) by whichever worker looks
// next: a trial never launched is launched; one whose run this workspace
// can reach is reattached and followed; one whose run is out of reach (it
// was launched from another workspace, and nobody there ingests it any
// more) is evaluated again with a new run, the old one recorded lost.

// workerPoll is how often a driver looks for trials to adopt and, once it
// has none of its own left, for the end of the study.
const workerPoll = time.Second

// tuningWorker names this process as a tuning worker, taking its liveness
// lock on first use; the engine holds it until Close.
func (e *Engine) tuningWorker(ctx context.Context) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.worker != "" {
		return e.worker, nil
	}
	var b [3]byte
	rand.Read(b[:])
	id := e.owner + "-" + hex.EncodeToString(b[:])
	l, ok, err := e.ws.Store.Locks().TryLock(ctx, "worker-"+id)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("tuning worker %s: its lock is taken", id)
	}
	e.worker, e.workerLock = id, l
	return id, nil
}

// workerAlive reports whether the named worker still holds its lock; a
// store that cannot say counts it alive (nothing is taken on a guess).
func (e *Engine) workerAlive(ctx context.Context, worker string) bool {
	held, err := e.ws.Store.Locks().Held(ctx, "worker-"+worker)
	return held || err != nil
}

// sameSpec checks that the stored study named spec.Name has spec's spec:
// workers of one study must agree on what it searches.
func (e *Engine) sameSpec(ctx context.Context, spec StudySpec) error {
	rec, err := e.ws.Store.GetStudy(ctx, spec.Name)
	if err != nil {
		return err
	}
	stored, err := storedSpec(rec)
	if err != nil {
		return err
	}
	a, _ := json.Marshal(stored)
	b, _ := json.Marshal(spec)
	if string(a) != string(b) {
		return &config.InputError{Field: "SPEC", Msg: fmt.Sprintf("study %q already exists with another spec; a worker joins only the same spec (compare with `lathe tune status %s --json`, or choose another name)", spec.Name, spec.Name)}
	}
	return nil
}

// adopt takes over the study's trials that no live worker drives, and loads
// the curves of trials others finished (the median rule compares against
// every ended trial of the study). Trials already running are adopted
// whatever this worker's bandwidth (their runs run anyway); trials never
// launched only up to it.
func (d *driver) adopt(ctx context.Context) error {
	if time.Since(d.lastAdopt) < workerPoll && !d.adoptNow {
		return nil
	}
	d.lastAdopt, d.adoptNow = time.Now(), false
	st := d.e.ws.Store
	trials, err := st.ListTrials(ctx, d.studyID)
	if err != nil {
		return err
	}
	alive := map[string]bool{}
	for _, t := range trials {
		if (t.Status == experiments.TrialCompleted || t.Status == experiments.TrialPruned) && t.RunID != "" && d.finished[t.Number] == nil {
			d.finished[t.Number] = d.loadCurves(ctx, t)
		}
		if t.Status != experiments.TrialPending && t.Status != experiments.TrialRunning {
			continue
		}
		if _, mine := d.trials[t.Number]; mine {
			continue
		}
		if t.RunID == "" && len(d.trials) >= d.bandwidth() {
			continue
		}
		if t.Worker != "" && t.Worker != d.worker {
			a, seen := alive[t.Worker]
			if !seen {
				a = d.e.workerAlive(ctx, t.Worker)
				alive[t.Worker] = a
			}
			if a {
				continue
			}
		}
		if t.Worker != d.worker {
			ok, err := st.AdoptTrial(ctx, d.studyID, t.Number, t.Worker, d.worker)
			if err != nil {
				return err
			}
			if !ok {
				continue // another worker adopted it first
			}
		}
		if err := d.take(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// take drives an adopted trial from where it stands.
func (d *driver) take(ctx context.Context, t experiments.Trial) error {
	if t.RunID == "" {
		return d.launch(ctx, t) // asked, never launched
	}
	run, err := d.e.ws.Store.GetRun(ctx, t.RunID)
	if err != nil {
		return err
	}
	ts := &trialState{number: t.Number, runID: t.RunID, params: t.Params, curves: map[string][]float64{}, last: map[string]float64{}}
	if strings.HasPrefix(t.Error, prunedPrefix) {
		ts.pruning = strings.TrimPrefix(t.Error, prunedPrefix)
	}
	switch {
	case run.Status.Terminal():
		// It ended while nobody drove it: following it reads what it stored.
	case d.e.reachable(run):
		if _, err := d.e.Reconcile(ctx, ReconcileOptions{RunIDs: []string{run.ID}, Settle: -1}); err != nil {
			return fmt.Errorf("reattach trial %d: %w", t.Number, err)
		}
	case !d.e.runAlive(run.ID):
		return d.relaunchLost(ctx, ts, run)
	}
	d.trials[t.Number] = ts
	d.emit(TuneEvent{Kind: "reattached", Trial: t.Number, RunID: t.RunID})
	d.follow(ctx, ts)
	return nil
}

// relaunchLost evaluates a trial again whose run is on another workspace's
// host with nobody ingesting it: to this worker the run is lost.
func (d *driver) relaunchLost(ctx context.Context, ts *trialState, old experiments.Run) error {
	why := fmt.Sprintf("its tuning worker died and its host is out of reach of worker %s, which launched trial %d again", d.worker, ts.number)
	_, err := d.e.ws.Store.UpdateRun(ctx, old.ID, func(r *experiments.Run) error {
		if r.Status.Terminal() {
			return errAlreadyEnded
		}
		r.Status, r.Ended, r.Error = runstatus.Lost, time.Now().UTC(), why
		return nil
	})
	if err != nil && !errors.Is(err, errAlreadyEnded) {
		return err
	}
	t, err := d.e.ws.Store.UpdateTrial(ctx, d.studyID, ts.number, func(t *experiments.Trial) error {
		t.RunID, t.Status, t.Error = "", experiments.TrialPending, ""
		return nil
	})
	if err != nil {
		return err
	}
	d.emit(TuneEvent{Kind: "relaunching", Trial: ts.number, RunID: old.ID, Message: why})
	if err := d.launch(ctx, t); err != nil {
		return err
	}
	if nt := d.trials[ts.number]; nt != nil {
		nt.relaunched = true
	}
	return nil
}

// studyDone reports whether every trial of the study has ended and the
// budget is asked for (or the space is exhausted).
func (d *driver) studyDone(ctx context.Context, exhausted bool) (bool, error) {
	trials, err := d.e.ws.Store.ListTrials(ctx, d.studyID)
	if err != nil {
		return false, err
	}
	if !exhausted && len(trials) < d.budget() {
		return false, nil
	}
	for _, t := range trials {
		if t.Status == experiments.TrialPending || t.Status == experiments.TrialRunning {
			d.adoptNow = d.adoptNow || t.Worker == "" // someone let it go: look again at once
			return false, nil
		}
	}
	return true, nil
}

// release gives up the trials this driver still drives (it is returning
// early: cancelled, or failed), so other workers adopt them now rather than
// when this process exits.
func (d *driver) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for n := range d.trials {
		_, _ = d.e.ws.Store.AdoptTrial(ctx, d.studyID, n, d.worker, "")
	}
}
