package monitor_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDomainIsPure enforces DESIGN.md §4: the domain (internal/monitor and
// its sub-packages) imports only the standard library and its own packages,
// and never reads the clock, so it can run inside the replicated state
// machine and replay identically on every node.
func TestDomainIsPure(t *testing.T) {
	const self = "github.com/custodes/custodes/internal/monitor"
	forbidden := map[string]bool{
		"time.Now": true, "time.Since": true, "time.Until": true,
		"time.Sleep": true, "time.After": true, "time.Tick": true,
		"time.NewTimer": true, "time.NewTicker": true, "time.AfterFunc": true,
		"time.LoadLocation": true, // zones are passed in; loading reads files
	}
	forbiddenImports := map[string]bool{
		"os": true, "net": true, "net/http": true, "io/ioutil": true,
		"math/rand": true, "math/rand/v2": true, "crypto/rand": true,
		"log": true, "log/slog": true, "sync": false, "os/exec": true,
	}
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			first := strings.Split(p, "/")[0]
			if strings.Contains(first, ".") && !strings.HasPrefix(p, self) {
				t.Errorf("%s imports %q: the domain may import only the standard library", path, p)
			}
			if forbiddenImports[p] {
				t.Errorf("%s imports %q: the domain does no I/O and draws no randomness", path, p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && forbidden[id.Name+"."+sel.Sel.Name] {
				t.Errorf("%s uses %s.%s: the domain never reads the clock; pass time in", path, id.Name, sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Fatalf("walked only %d files; the test is not looking at the domain", files)
	}
}
