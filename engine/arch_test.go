package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The architecture rules DESIGN §2 states, checked on the source (also run
// by `make lint`):
//
//   - cmd/ and tui/ reach the domain only through the engine: their
//     non-test files call no package-level function of experiments, report,
//     explore, runners or optimizer and never name the store's handles
//     (experiments.Workspace, Store, Objects). Types, constants and
//     methods of values the engine returned are shared.
//   - Arrows point one way: domain packages import only config, format and
//     runstatus of Lathe's (never each other, engine, tui or cmd; report,
//     which draws the others' records, may import them); config,
//     format and runstatus import nothing of Lathe's; engine imports neither
//     tui nor cmd; tui does not import cmd.

const module = "github.com/lathe-ml/lathe"

func domainPackages() []string {
	return []string{"experiments", "explore", "runners", "optimizer", "report"}
}

// repoRoot is the module root (engine's parent).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod above engine/: %v", err)
	}
	return root
}

// goFiles parses every .go file under dir (recursively), tests included
// when tests is set.
func goFiles(t *testing.T, fset *token.FileSet, dir string, tests bool) map[string]*ast.File {
	t.Helper()
	out := map[string]*ast.File{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != dir {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || (!tests && strings.HasSuffix(p, "_test.go")) {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		out[p] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// exportedFuncs lists a package's exported package-level functions (not
// methods), from its non-test files.
func exportedFuncs(t *testing.T, fset *token.FileSet, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.IsExported() {
				out[fd.Name.Name] = true
			}
		}
	}
	return out
}

// imports maps each import's local name to its path.
func imports(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		out[name] = p
	}
	return out
}

func TestFrontEndsGoThroughTheEngine(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	funcs := map[string]map[string]bool{}
	for _, p := range domainPackages() {
		funcs[module+"/"+p] = exportedFuncs(t, fset, filepath.Join(root, p))
	}
	handles := []string{"Workspace", "Store", "Objects"}
	var bad []string
	for _, dir := range []string{"cmd", "tui"} {
		for _, f := range goFiles(t, fset, filepath.Join(root, dir), false) {
			ims := imports(f)
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				x, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				pkg := ims[x.Name]
				if fs, ok := funcs[pkg]; ok && fs[sel.Sel.Name] {
					bad = append(bad, fset.Position(sel.Pos()).String()+": calls "+x.Name+"."+sel.Sel.Name+" (use an engine method)")
				}
				if pkg == module+"/experiments" && slices.Contains(handles, sel.Sel.Name) {
					bad = append(bad, fset.Position(sel.Pos()).String()+": holds experiments."+sel.Sel.Name+" (front ends hold only *engine.Engine)")
				}
				return true
			})
		}
	}
	slices.Sort(bad)
	for _, b := range bad {
		t.Error(strings.TrimPrefix(b, root+string(filepath.Separator)))
	}
}

func TestDependenciesPointOneWay(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	forbidden := map[string][]string{
		"engine": {"tui", "cmd"},
		"tui":    {"cmd"},
	}
	leaves := []string{"config", "format", "runstatus"}
	// allowed, when set, is the whole list of Lathe packages dir may import.
	allowed := map[string][]string{}
	for _, p := range domainPackages() {
		allowed[p] = leaves
	}
	// report draws the domain's records (runs, studies, profiles) as pages.
	allowed["report"] = append([]string{"experiments", "explore", "optimizer"}, leaves...)
	for _, p := range leaves {
		allowed[p] = []string{}
	}
	check := func(dir string, ok func(string) bool, why string) {
		for path, f := range goFiles(t, fset, filepath.Join(root, dir), true) {
			for _, im := range f.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if !strings.HasPrefix(p, module+"/") {
					continue
				}
				pkg := strings.TrimPrefix(p, module+"/")
				if pkg == dir || strings.HasPrefix(pkg, dir+"/") {
					continue // itself or its sub-packages
				}
				if strings.HasSuffix(path, "_test.go") && strings.HasPrefix(pkg, "internal/") {
					continue // test helpers (internal/pgtest)
				}
				if !ok(pkg) {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s imports %s: %s %s", rel, p, dir, why)
				}
			}
		}
	}
	for dir, not := range forbidden {
		check(dir, func(pkg string) bool {
			for _, n := range not {
				if pkg == n || strings.HasPrefix(pkg, n+"/") {
					return false
				}
			}
			return true
		}, "must not depend on "+strings.Join(not, " or "))
	}
	for dir, ok := range allowed {
		check(dir, func(pkg string) bool { return slices.Contains(ok, pkg) },
			fmt.Sprintf("may import only %v of Lathe's packages", ok))
	}
}
