package runners

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
)

// GPURequest asks for GPUs: Count > 0 for any N devices, Count < 0 for all of
// them, or explicit DeviceIDs (indices or UUIDs). Count and DeviceIDs are
// mutually exclusive, as Docker's DeviceRequest requires.
type GPURequest struct {
	Count     int
	DeviceIDs []string
}

// None reports whether no GPU is asked for.
func (g GPURequest) None() bool { return g.Count == 0 && len(g.DeviceIDs) == 0 }

// Spec is everything a runner needs to launch one run.
type Spec struct {
	ID      string   // run id, also LATHE_RUN_ID; required
	Name    string   // human name, optional
	Command []string // argv; "{param}" placeholders are substituted, never through a shell. Docker, Kubernetes: replaces the image's CMD, as docker run's arguments do
	// Entrypoint (Docker, Kubernetes) replaces the image's ENTRYPOINT, as docker run
	// --entrypoint does; nil keeps it, so Command is appended to it.
	Entrypoint []string
	Image      string            // container image (Docker runners only)
	Params     map[string]string // hyperparameters
	Inputs     map[string]string // input name -> host path, mounted read-only in containers
	OutputDir  string            // host directory that collects $LATHE_OUTPUT_DIR
	Env        map[string]string // extra environment
	GPUs       GPURequest
	CPUs       float64 // Docker --cpus; 0 = unlimited
	Memory     int64   // bytes, Docker --memory; 0 = unlimited
	ShmSize    int64   // bytes, Docker --shm-size; 0 = daemon default
	Labels     map[string]string
	WorkDir    string       // working directory (host path for local, container path for Docker)
	Metrics    ParseOptions // opt-in metric line formats
	Priority   int          // scheduler: higher first
}

// LogLine is one line of a run's output.
type LogLine struct {
	Stream string    `json:"stream"` // "stdout" or "stderr"
	Seq    int64     `json:"seq"`    // 1-based line number within Stream, stable across reattach
	Text   string    `json:"text"`   // without the trailing newline
	Time   time.Time `json:"time"`   // when it was read (local) or logged by the daemon (Docker)
}

// StatusUpdate reports a change of a run's state. ExitCode is set once the
// process has exited. Info carries runner details worth storing: "pid",
// "container_id", "image_digest", "run_dir", "host".
type StatusUpdate struct {
	RunID    string           `json:"run_id"`
	Status   runstatus.Status `json:"status"`
	ExitCode *int             `json:"exit_code"`
	Message  string           `json:"message,omitempty"`
	Time     time.Time        `json:"time"` // when the change happened at the source (a final status: the exit)
	// Started, on a final status, is when the process started according to
	// the runner (a container's StartedAt); zero: the Running update's time.
	Started time.Time         `json:"started,omitzero"`
	Info    map[string]string `json:"info,omitempty"`
}

// Sink receives everything a run produces. The store, the JSON printer and the
// tests implement it. A runner serializes the calls for one run (never two at
// once for the same run), so a sink needs no locking of its own per run; calls
// for different runs may be concurrent.
type Sink interface {
	Log(LogLine)
	Metrics([]Sample)
	Property(key, value string)
	Status(StatusUpdate)
}

// LineSink is an optional extension of Sink. A sink that implements it gets
// each output line together with the metrics and properties parsed from it
// in one call, instead of Log, Metrics and Property one after another, so it
// can store a line and its metrics atomically (a store that derives its
// resume point from stored lines must never keep a line without them).
type LineSink interface {
	Sink
	Line(l LogLine, samples []Sample, props []Property)
}

// deliverLine hands one line and what was parsed from it to sink.
func deliverLine(sink Sink, l LogLine, samples []Sample, props []Property) {
	if ls, ok := sink.(LineSink); ok {
		ls.Line(l, samples, props)
		return
	}
	sink.Log(l)
	if len(samples) > 0 {
		sink.Metrics(samples)
	}
	for _, pr := range props {
		sink.Property(pr.Key, pr.Value)
	}
}

// Tee returns a Sink that hands every event to each of sinks in order, e.g.
// the store and a live printer.
func Tee(sinks ...Sink) Sink { return tee(sinks) }

type tee []Sink

func (t tee) Log(l LogLine) {
	for _, s := range t {
		s.Log(l)
	}
}

func (t tee) Metrics(m []Sample) {
	for _, s := range t {
		s.Metrics(m)
	}
}

func (t tee) Property(k, v string) {
	for _, s := range t {
		s.Property(k, v)
	}
}

func (t tee) Status(u StatusUpdate) {
	for _, s := range t {
		s.Status(u)
	}
}

func (t tee) Line(l LogLine, samples []Sample, props []Property) {
	for _, s := range t {
		deliverLine(s, l, samples, props)
	}
}

// Result is how a run ended.
type Result struct {
	Status   runstatus.Status
	ExitCode int // -1 when unknown (lost, never started)
	Message  string
}

// Handle is a started (or reattached) run. Wait returns once the run has ended
// and every line of its output has been delivered to the sink.
type Handle interface {
	ID() string
	Wait(ctx context.Context) (Result, error)
}

// Cursor says how much of a run's output the caller already stored, so a
// reattach does not deliver it twice.
//
// Stdout and Stderr are the LogLine.Seq of the last stored line per stream;
// new lines continue that numbering. Time is the LogLine.Time of the last
// stored line: the Docker runner then asks the daemon only for later lines,
// which stays right after the daemon rotated its log files (counting lines
// from the start would not). NextStep is, per metric, the last stored step
// + 1, so metrics without a step key continue their count; without it the
// runner re-parses the skipped lines where it still can.
type Cursor struct {
	Stdout, Stderr int64
	Time           time.Time
	NextStep       map[string]int64
}

// Tracked is a run the store believes is not finished, given to Reconcile.
type Tracked struct {
	RunID  string
	Cursor Cursor
}

// Runner launches runs on one host.
//
// Runs outlive the lathe process: Start returns once the run is launched, and a
// later lathe finds it again with Reconcile, which reattaches to running runs
// (Handle continues delivering output after the cursor), harvests finished ones
// (remaining output, exit code, OOM flag) and reports vanished ones as lost.
type Runner interface {
	Name() string
	// Start launches spec. It reports runstatus.Running to sink before returning and
	// the final status when the run ends. The returned Handle's output delivery
	// stops when ctx is cancelled; the run itself keeps going (use Stop).
	Start(ctx context.Context, spec Spec, sink Sink) (Handle, error)
	// Stop asks the run to end (SIGTERM), then kills it after grace.
	Stop(ctx context.Context, runID string, grace time.Duration) error
	// Reconcile reattaches to or harvests each tracked run. sinkFor returns the
	// sink for a run id. Runs it cannot find get runstatus.Lost.
	Reconcile(ctx context.Context, runs []Tracked, sinkFor func(runID string) Sink) ([]Handle, error)
}

var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_.-]*)\}`)

// ExpandCommand substitutes "{name}" with Params[name] in each argument. An
// unknown name is an input error (exit 2). Substitution happens per argument
// and the result is exec'd directly: a value can never become shell syntax.
func ExpandCommand(cmd []string, params map[string]string) ([]string, error) {
	if len(cmd) == 0 {
		return nil, &config.InputError{Field: "command", Msg: "command is empty; give the program to run"}
	}
	out := make([]string, len(cmd))
	for i, arg := range cmd {
		var missing string
		out[i] = placeholder.ReplaceAllStringFunc(arg, func(m string) string {
			name := m[1 : len(m)-1]
			v, ok := params[name]
			if !ok && missing == "" {
				missing = name
			}
			return v
		})
		if missing != "" {
			known := make([]string, 0, len(params))
			for k := range params {
				known = append(known, k)
			}
			slices.Sort(known)
			return nil, &config.InputError{Field: "command", Msg: fmt.Sprintf(
				"argument %q uses {%s}, which is not a parameter (parameters: %s)", arg, missing, strings.Join(known, ", "))}
		}
	}
	return out, nil
}

// EnvName turns a parameter or input name into the suffix of an environment
// variable: upper case, anything outside [A-Z0-9_] becomes '_'.
func EnvName(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// RunEnv builds the environment of DESIGN §4. inputPath maps an input name to
// the path the program sees (host path for local runs, mount point in a
// container); paramsFile and outputDir are likewise as the program sees them.
func RunEnv(spec Spec, inputPath func(name string) string, paramsFile, outputDir string) []string {
	env := []string{"LATHE_RUN_ID=" + spec.ID}
	for _, k := range format.SortedKeys(spec.Params) {
		env = append(env, "LATHE_PARAM_"+EnvName(k)+"="+spec.Params[k])
	}
	if paramsFile != "" {
		env = append(env, "LATHE_PARAMS_FILE="+paramsFile)
	}
	for _, k := range format.SortedKeys(spec.Inputs) {
		env = append(env, "LATHE_INPUT_"+EnvName(k)+"="+inputPath(k))
	}
	if outputDir != "" {
		env = append(env, "LATHE_OUTPUT_DIR="+outputDir)
	}
	for _, k := range format.SortedKeys(spec.Env) {
		env = append(env, k+"="+spec.Env[k])
	}
	return env
}

// ParamsJSON is the content of $LATHE_PARAMS_FILE: the params as a JSON object
// of strings, exactly as given.
func ParamsJSON(params map[string]string) []byte {
	if params == nil {
		params = map[string]string{}
	}
	b, _ := json.MarshalIndent(params, "", "  ") // map[string]string cannot fail
	return append(b, '\n')
}

// validateSpec checks what every runner needs.
func validateSpec(spec Spec) error {
	if spec.ID == "" {
		return &config.InputError{Field: "id", Msg: "run id is empty"}
	}
	if strings.ContainsAny(spec.ID, "/\\ \t\n") || spec.ID == "." || spec.ID == ".." {
		return &config.InputError{Field: "id", Msg: fmt.Sprintf("run id %q may not contain slashes or spaces", spec.ID)}
	}
	if spec.GPUs.Count != 0 && len(spec.GPUs.DeviceIDs) > 0 {
		return &config.InputError{Field: "gpus", Msg: "give a GPU count or device ids, not both"}
	}
	for name, p := range spec.Inputs {
		if _, err := os.Stat(p); err != nil {
			return &config.InputError{Field: "input " + name, Msg: fmt.Sprintf("input %s: %v", name, err), Err: err}
		}
	}
	return nil
}

// lockedSink serializes one run's sink calls across its reader goroutines.
type lockedSink struct {
	mu sync.Mutex
	s  Sink
}

func (l *lockedSink) Log(x LogLine) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.Log(x)
}

func (l *lockedSink) Metrics(x []Sample) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.Metrics(x)
}

func (l *lockedSink) Property(k, v string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.Property(k, v)
}

func (l *lockedSink) Status(x StatusUpdate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.Status(x)
}

func (l *lockedSink) Line(x LogLine, samples []Sample, props []Property) {
	l.mu.Lock()
	defer l.mu.Unlock()
	deliverLine(l.s, x, samples, props)
}

// lineEmitter turns lines of one stream into sink calls, running stdout through
// the metrics parser. Metric lines are delivered as metrics and properties, and
// also as log lines so that `runs logs` shows the program's whole output.
type lineEmitter struct {
	sink   Sink
	parser *Parser // nil for stderr
	stream string
	seq    int64 // Seq of the last line seen
	skip   int64 // lines with Seq <= skip are already stored: parsed (to keep step counters) but not delivered
}

func (e *lineEmitter) line(text string, t time.Time) {
	e.seq++
	var p Parsed
	if e.parser != nil {
		p = e.parser.Parse(text, t)
	}
	if e.seq <= e.skip {
		return
	}
	deliverLine(e.sink, LogLine{Stream: e.stream, Seq: e.seq, Text: text, Time: t}, p.Samples, p.Props)
}

func intPtr(i int) *int { return &i }

// unfinished is the Result of a Wait that ended before the run did (the
// caller gave up, or the runner lost sight of the run): still running, exit
// status not known yet.
func unfinished() Result { return Result{Status: runstatus.Running, ExitCode: -1} }
