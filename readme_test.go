// Package certrotate_test checks README.md against the code: it stands alone, names every
// environment variable the code reads, and lists every package in its Layout section; and no
// file of the repository cites the team's contract, a document outside it.
package certrotate_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// osVariables are read by the code but belong to the operating system, not to certrotate.
var osVariables = map[string]bool{"PATH": true, "HOME": true, "TMPDIR": true}

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeNamesEveryEnvironmentVariable scans the Go sources (tests excluded) for variables
// read with os.Getenv / os.LookupEnv / a getenv parameter (a string literal, a constant, or a
// range over a literal list) and for envconfig tags, and wants each in README.md as `NAME`.
func TestReadmeNamesEveryEnvironmentVariable(t *testing.T) {
	vars := readEnvironment(t)
	for _, must := range []string{"ROTATE_TARGETS", "FC_REGION", "AWS_LAMBDA_RUNTIME_API", "NOTIFY_ON"} {
		if !vars[must] {
			t.Fatalf("the scan did not find %s: it no longer sees how the code reads the environment", must)
		}
	}
	text := readme(t)
	var missing []string
	for v := range vars {
		if !osVariables[v] && !strings.Contains(text, "`"+v+"`") && !strings.Contains(text, "`"+v+"=") {
			missing = append(missing, v)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("README.md does not mention these variables the code reads (add them to the configuration table): %s",
			strings.Join(missing, ", "))
	}
}

// TestReadmeStandsAlone: no reference to documents outside the repository.
func TestReadmeStandsAlone(t *testing.T) {
	text := readme(t)
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`§\s*\d`), regexp.MustCompile(`\bSPEC\b`), regexp.MustCompile(`shared/reference|/work/`)} {
		if m := re.FindString(text); m != "" {
			t.Errorf("README.md refers to a document outside the repository: %q", m)
		}
	}
	// Every relative link points at a file of the repository.
	for _, m := range regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`).FindAllStringSubmatch(text, -1) {
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("README.md links to %s: %v", m[1], err)
		}
	}
}

// outsideCitations are the ways a file cited the team's contract, a document users of the
// repository cannot read: "SPEC §4", "SPEC.md", "SPEC section 5", or the word SPEC at all
// (case-sensitive and whole-word, so identifiers such as specNotifyEnv or SPECIAL pass), and the
// notes kept beside the repository (by path or by a note's name: the emulator cites the
// original sources, doc pages, SDK files and issue threads, not the team's notes about them).
var outsideCitations = []*regexp.Regexp{
	regexp.MustCompile(`\bSPEC\s*§`),
	regexp.MustCompile(`\bSPEC\.md\b`),
	regexp.MustCompile(`\bSPEC\b`),
	regexp.MustCompile(`\.\./shared/|shared/reference/|/work/`),
	regexp.MustCompile(`\b(cloud-apis|fidelity-alibaba|fidelity-huawei|alb-nlb-cas|events-and-deploy|anchors)\.md\b`),
}

// sectionSign is a section number; bare ("a §4 body") it meant the contract's section.
var sectionSign = regexp.MustCompile(`§\s*\d`)

// namedSection is a section number that names its document first: a public standard
// ("Baseline Requirements §3.2.2.6"). It is not the contract.
var namedSection = regexp.MustCompile(`Requirements\s+§\s*[\d.]+(?:\s*/\s*§\s*[\d.]+)*`)

// citationsExempt are files that may hold the words, with the reason.
var citationsExempt = map[string]string{
	"readme_test.go": "holds the patterns this test looks for",
}

// TestNothingCitesTheOutsideSpec: no comment, string, script, YAML or Makefile of the repository
// cites the contract; a rule is stated where it is used, or points to a README section. Files
// under testdata (fixtures copied verbatim) and build outputs are not read, nor binary files.
func TestNothingCitesTheOutsideSpec(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" { // a directory, or in a worktree a file naming one
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			switch d.Name() {
			case ".demo", "testdata", "bin", "dist", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		path = filepath.ToSlash(path)
		if _, ok := citationsExempt[path]; ok || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(b, 0) >= 0 {
			return nil // a binary file
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			cited := false
			for _, re := range outsideCitations {
				if m := re.FindString(line); m != "" {
					t.Errorf("%s:%d cites a document outside the repository (%q): state the rule, or name the README section\n\t%s",
						path, i+1, m, strings.TrimSpace(line))
					cited = true
					break
				}
			}
			if m := sectionSign.FindString(namedSection.ReplaceAllString(line, "")); m != "" && !cited {
				t.Errorf("%s:%d has a section number of no named document (%q): state the rule, or name the README section\n\t%s",
					path, i+1, m, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("read only %d files: the walk no longer sees the repository", checked)
	}
}

// TestReadmeLayoutListsEveryPackage: each folder holding Go files starts a line of the Layout block.
func TestReadmeLayoutListsEveryPackage(t *testing.T) {
	text := readme(t)
	i := strings.Index(text, "## Layout")
	if i < 0 {
		t.Fatal("README.md has no Layout section")
	}
	section := text[i:]
	if j := strings.Index(section[len("## Layout"):], "\n## "); j >= 0 {
		section = section[:j+len("## Layout")]
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			listed[f[0]] = true
		}
	}
	for _, dir := range goPackages(t) {
		if !listed[dir] {
			t.Errorf("the Layout section of README.md does not list package %s (one line, the path first)", dir)
		}
	}
}

func goPackages(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin" || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			seen[filepath.ToSlash(filepath.Dir(path))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// readEnvironment returns every environment variable the non-test Go sources read.
func readEnvironment(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	consts := map[string]string{} // constant name → string value, across packages (names are unique enough)
	var files []*ast.File
	for _, root := range []string{"functions", "shared", "scripts"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			files = append(files, f)
			ast.Inspect(f, func(n ast.Node) bool {
				if vs, ok := n.(*ast.ValueSpec); ok {
					for i, id := range vs.Names {
						if i < len(vs.Values) {
							if s, ok := stringLit(vs.Values[i]); ok {
								consts[id.Name] = s
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]bool{}
	for _, f := range files {
		ranged := map[string][]string{} // a range variable over a literal list of strings
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.RangeStmt:
				if id, ok := n.Value.(*ast.Ident); ok {
					if cl, ok := n.X.(*ast.CompositeLit); ok {
						for _, e := range cl.Elts {
							if s, ok := stringLit(e); ok {
								ranged[id.Name] = append(ranged[id.Name], s)
							}
						}
					}
				}
			case *ast.StructType:
				for _, field := range n.Fields.List {
					if field.Tag == nil {
						continue
					}
					tag, _ := strconv.Unquote(field.Tag.Value)
					if v := reflect.StructTag(tag).Get("envconfig"); v != "" {
						vars[v] = true
					}
				}
			case *ast.CallExpr:
				if !readsEnv(n.Fun) || len(n.Args) == 0 {
					return true
				}
				switch a := n.Args[0].(type) {
				case *ast.BasicLit:
					if s, ok := stringLit(a); ok {
						vars[s] = true
						return true
					}
				case *ast.Ident:
					if s, ok := consts[a.Name]; ok {
						vars[s] = true
						return true
					}
					if l, ok := ranged[a.Name]; ok {
						for _, s := range l {
							vars[s] = true
						}
						return true
					}
				case *ast.SelectorExpr:
					if s, ok := consts[a.Sel.Name]; ok {
						vars[s] = true
						return true
					}
				}
				t.Errorf("%s: reads an environment variable this test cannot name; use a string literal or a constant",
					fset.Position(n.Pos()))
			}
			return true
		})
	}
	return vars
}

// readsEnv reports whether fun is os.Getenv, os.LookupEnv, or a function value named getenv.
func readsEnv(fun ast.Expr) bool {
	switch f := fun.(type) {
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && x.Name == "os" {
			return f.Sel.Name == "Getenv" || f.Sel.Name == "LookupEnv"
		}
	case *ast.Ident:
		return f.Name == "getenv"
	}
	return false
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}
