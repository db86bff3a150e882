package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
)

// The text reports of `lathe data`: profile, drift, check and split.

func (a *app) printProfile(p *explore.Profile) {
	s := p.Source
	a.printf("%s  %s · %s · %s rows · %d columns · %s duplicate rows · %.2fs\n",
		s.Path, s.Format, format.Bytes(s.Bytes), format.Digits(p.Rows), len(p.Columns), format.Digits(p.DuplicateRows), p.Seconds)
	if s.SHA256 != "" {
		a.printf("sha256 %s\n", s.SHA256)
	}
	a.printf("\n")
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tMISSING\tDISTINCT\tMEAN\tSTD\tMIN\tP50\tMAX\tTOP")
	for i := range p.Columns {
		c := &p.Columns[i]
		distinct := format.Digits(c.Distinct)
		if !c.DistinctExact {
			distinct = "~" + distinct
		}
		var p50 string
		if c.Quantiles != nil {
			p50 = format.Num(float64(c.Quantiles.P50))
		}
		top := ""
		if len(c.Top) > 0 {
			top = fmt.Sprintf("%s (%s)", format.Clip(c.Top[0].Value, 24), format.Digits(c.Top[0].Count))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			format.Clip(c.Name, 28), c.Type, missingCell(c), distinct, format.Value(c.Mean), format.Value(c.Std),
			format.Clip(format.Value(c.Min), 20), p50, format.Clip(format.Value(c.Max), 20), top)
	}
	_ = tw.Flush()

	if strong := strongCorrelations(p.Correlations, 0.5); len(strong) > 0 {
		const show = 10
		a.printf("\nCorrelations (|value| ≥ 0.5, strongest method per pair)\n")
		tw = tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
		for i, c := range strong {
			if i == show {
				break
			}
			fmt.Fprintf(tw, "  %s ~ %s\t%s\t%+.3f\n", format.Clip(c.A, 40), format.Clip(c.B, 40), c.Method, c.Value)
		}
		_ = tw.Flush()
		if len(strong) > show {
			a.printf("  … and %d more pairs (--json lists every pair and method)\n", len(strong)-show)
		}
	}

	if p.Skipped.Count > 0 {
		a.printf("\nSkipped %d malformed record(s):\n", p.Skipped.Count)
		for _, e := range p.Skipped.Examples {
			a.printf("  line %d: %s\n", e.Line, format.OneLine(e.Msg))
		}
	}

	if len(p.Alerts) == 0 {
		a.printf("\nNo alerts.\n")
		return
	}
	a.printf("\nAlerts (%d)\n", len(p.Alerts))
	tw = tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	for _, al := range p.Alerts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", al.Kind, format.Clip(strings.Join(al.Columns, ", "), 60), format.OneLine(al.Message))
	}
	_ = tw.Flush()
}

func missingCell(c *explore.Column) string {
	if c.Missing == 0 {
		return "0"
	}
	return fmt.Sprintf("%s (%s)", format.Digits(c.Missing), format.Pct(c.MissingShare))
}

// strongCorrelations keeps, for each pair, its strongest method when that
// reaches |value| ≥ min, strongest pairs first.
func strongCorrelations(cs []explore.Correlation, min float64) []explore.Correlation {
	var out []explore.Correlation
	at := map[[2]string]int{}
	for _, c := range cs {
		if math.Abs(c.Value) < min {
			continue
		}
		k := [2]string{c.A, c.B}
		if i, ok := at[k]; ok {
			if math.Abs(c.Value) > math.Abs(out[i].Value) {
				out[i] = c
			}
			continue
		}
		at[k] = len(out)
		out = append(out, c)
	}
	for i := 1; i < len(out); i++ { // insertion sort: a handful of pairs
		for j := i; j > 0 && math.Abs(out[j].Value) > math.Abs(out[j-1].Value); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (a *app) printDrift(rep *explore.DriftReport) {
	a.printf("drift %s → %s  (%s)\n\n", rep.A, rep.B, rep)
	writeDriftTable(a, rep, "")
	if len(rep.Missing) > 0 {
		a.printf("\nonly in A: %s\n", format.OneLine(strings.Join(rep.Missing, ", ")))
	}
	if len(rep.Added) > 0 {
		a.printf("only in B: %s\n", format.OneLine(strings.Join(rep.Added, ", ")))
	}
}

func writeDriftTable(a *app, rep *explore.DriftReport, indent string) {
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%sCOLUMN\tKIND\tKS\tPSI\tJSD\tL∞\tP\tDRIFT\n", indent)
	for _, c := range rep.Columns {
		flag := ""
		if c.Drifted {
			flag = "DRIFTED"
			if c.DecidedBy != "" {
				flag += " (" + c.DecidedBy + ")"
			}
		}
		if c.Sampled {
			flag = strings.TrimSpace(flag + " sampled")
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%.4f\t%.4f\t%s\t%s\t%s\n", indent, format.Clip(c.Column, 28), c.Kind,
			format.Fixed(c.KS), c.PSI, c.JSD, format.Fixed(c.LInf), format.Fixed(c.P), flag)
	}
	_ = tw.Flush()
}

func (a *app) printCheck(rep *explore.CheckReport) {
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tRULE\tCOLUMN\tCHECK\tFAILING\tSHARE\tMESSAGE")
	for _, r := range rep.Results {
		mark := "ok"
		if !r.Passed {
			mark = "FAIL"
		}
		col := r.Column
		if col == "" {
			col = "(table)"
		}
		share := ""
		if r.Total > 0 {
			share = format.Pct(r.FailingShare)
		}
		fmt.Fprintf(tw, "%s\t%s:%d\t%s\t%s\t%s/%s\t%s\t%s\n", mark, filepath.Base(rep.Rules), r.Line, format.Clip(col, 24), r.Check,
			format.Digits(r.Failing), format.Digits(r.Total), share, r.Message)
		if !r.Passed && len(r.Examples) > 0 {
			fmt.Fprintf(tw, "\t\t\t\t\t\te.g. %s\n", format.Clip(strings.Join(uniq(r.Examples), ", "), 60))
		}
	}
	_ = tw.Flush()
	if rep.Passed {
		a.printf("\n%s: all %d checks passed (%s rows)\n", rep.Path, len(rep.Results), format.Digits(rep.Rows))
	} else {
		a.printf("\n%s: %d of %d checks FAILED (%s rows)\n", rep.Path, rep.Failed, len(rep.Results), format.Digits(rep.Rows))
	}
}

// uniq keeps the first occurrence of each example, in order.
func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (a *app) printSplit(out *engine.SplitResult) {
	rep := out.Report
	how := "random"
	switch {
	case rep.Stratify != "":
		how = "stratified by " + rep.Stratify
	case rep.Group != "":
		how = "grouped by " + rep.Group
	}
	a.printf("split %s  %s rows · %s · seed %d\n\n", out.Source, format.Digits(rep.Rows), how, rep.Seed)
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPLIT\tROWS\tSHARE\tFILE\tVERSION")
	for i, s := range rep.Splits {
		file, version := "", ""
		if i < len(out.Files) {
			file = out.Files[i].Path
		}
		if i < len(out.Datasets) {
			version = out.Datasets[i].SHA256[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, format.Digits(s.Rows), format.Pct(s.Share), file, version)
	}
	_ = tw.Flush()

	if len(rep.Splits) > 0 && len(rep.Splits[0].Classes) > 0 {
		a.printf("\nClass balance (%s)\n", rep.Stratify+rep.Group)
		tw = tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
		header := "  CLASS"
		for _, s := range rep.Splits {
			header += "\t" + strings.ToUpper(s.Name)
		}
		fmt.Fprintln(tw, header)
		classes := map[string][]string{}
		var order []string
		for si, s := range rep.Splits {
			for _, c := range s.Classes {
				if _, ok := classes[c.Class]; !ok {
					classes[c.Class] = make([]string, len(rep.Splits))
					order = append(order, c.Class)
				}
				classes[c.Class][si] = fmt.Sprintf("%s (%s)", format.Digits(c.Count), format.Pct(c.Share))
			}
		}
		for _, c := range order {
			fmt.Fprintf(tw, "  %s\t%s\n", format.Clip(c, 28), strings.Join(classes[c], "\t"))
		}
		_ = tw.Flush()
	}

	leaks := int64(0)
	for _, l := range rep.Leakage {
		leaks += l.Rows
	}
	if leaks == 0 {
		a.printf("\nLeakage: no row occurs in two splits.\n")
	} else {
		a.printf("\nLeakage: %s rows occur in more than one split\n", format.Digits(leaks))
		for _, l := range rep.Leakage {
			if l.Rows > 0 {
				a.printf("  %s rows of %s also in %s\n", format.Digits(l.Rows), l.B, l.A)
			}
		}
	}
	for _, d := range rep.Drift {
		if d == nil {
			continue
		}
		a.printf("\nDrift %s → %s: %s\n", filepath.Base(d.A), filepath.Base(d.B), d)
		writeDriftTable(a, d, "  ")
	}
	if out.Parent != nil {
		a.printf("\nRegistered %s (version %s) and %d splits derived from it.\n", out.Parent.Path, out.Parent.SHA256[:12], len(out.Datasets))
	}
}
