package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds each config file.
const maxFileSize = 16 << 20

// Load reads the config at path, a file or a directory, and returns it
// validated, with defaults applied. A directory is read as Gatus reads it:
// every *.yml and *.yaml file under it, recursively, in lexical order,
// merged into one config (mappings merged key by key, lists such as
// endpoints appended, a scalar defined in two files an error naming both).
//
// env looks variables up for ${VAR} expansion; nil means os.LookupEnv.
//
// On failure the error is a *Errors listing every problem found, each
// "file:line: field.path: message". Things that load but deserve attention
// (keys custodes does not act on yet, endpoint kinds it cannot probe,
// deprecated settings) are in Config.Warnings. Endpoints custodes cannot
// probe are validated but not included in Config.Monitors.
func Load(ctx context.Context, path string, env func(string) (string, bool)) (*Config, error) {
	names, ferr := findFiles(path)
	if ferr != nil {
		return nil, &Errors{List: []*Error{ferr}}
	}
	var files []file
	var errs []*Error
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, &Errors{List: []*Error{{File: name, Msg: "loading canceled", Err: err}}}
		}
		data, rerr := readFile(name)
		if rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		files = append(files, file{name, data})
	}
	if len(errs) > 0 {
		return nil, &Errors{List: errs}
	}
	return load(path, files, env)
}

// file is one config file's name and content.
type file struct {
	name string
	data []byte
}

// load builds the config from the files' contents; path is what was asked
// for, for messages about the whole config.
func load(path string, files []file, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	l := newLoader(env)
	cfg := &Config{}
	h := sha256.New()
	var roots []*yaml.Node
	for _, f := range files {
		cfg.Files = append(cfg.Files, f.name)
		writeHashed(h, []byte(f.name))
		writeHashed(h, f.data)
		if root := l.parse(f.name, f.data); root != nil {
			roots = append(roots, root)
		}
	}
	cfg.Fingerprint = hex.EncodeToString(h.Sum(nil))
	if len(l.errs) == len(l.envErrs) {
		// Every file parsed: check everything, even around bad ${ENV}s.
		l.build(cfg, roots)
		if len(cfg.Monitors) == 0 && len(l.errs) == 0 {
			l.warns = append(l.warns, Warning{File: path, Msg: "no endpoints, external-endpoints or push-endpoints defined; monitors can still be added through the API"})
		}
	}
	if len(l.errs) > 0 {
		return nil, &Errors{List: l.finalErrors()}
	}
	sortWarnings(l.warns)
	cfg.Warnings = l.warns
	cfg.alertDefaults = l.defaults
	return cfg, nil
}

func writeHashed(w io.Writer, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	w.Write(n[:])
	w.Write(b)
}

// findFiles returns path itself, or the *.yml and *.yaml files under it in
// lexical order. Like Gatus it skips paths containing "..": a Kubernetes
// ConfigMap volume holds each file twice, once in a "..<timestamp>"
// directory and once through "..data" symlinks. A symlink to a directory is
// followed when it is path itself.
func findFiles(path string) ([]string, *Error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + describe(err), Err: err}
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	root, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + describe(err), Err: err}
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if strings.Contains(rel, "..") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(p); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
			files = append(files, filepath.Join(path, rel))
		}
		return nil
	})
	if err != nil {
		file := path
		var pe *fs.PathError
		if errors.As(err, &pe) {
			file = pe.Path
		}
		return nil, &Error{File: file, Msg: "cannot read: " + describe(err), Err: err}
	}
	if len(files) == 0 {
		return nil, &Error{File: path, Msg: "no *.yaml or *.yml file in this directory", Err: fs.ErrNotExist}
	}
	return files, nil
}

func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// readFile reads a config file, refusing one larger than maxFileSize.
func readFile(path string) ([]byte, *Error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + describe(err), Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + describe(err), Err: err}
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file larger than %d MiB", maxFileSize>>20)}
	}
	return data, nil
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse parses one file into its top-level mapping, records which file its
// nodes come from and expands ${ENV}. It returns nil for an empty file or
// after reporting a problem.
func (l *loader) parse(file string, data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 reports bad input with errors; this turns an unexpected
		// panic inside the third-party parser into an error too.
		if r := recover(); r != nil {
			l.errs = append(l.errs, &Error{File: file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)})
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil
		}
		l.errs = append(l.errs, yamlError(file, err))
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		l.errs = append(l.errs, yamlError(file, err))
		return nil
	default:
		l.errs = append(l.errs, errorf(file, next.Line, "", "a second YAML document (after ---) is not supported; use one document per file"))
		return nil
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil
	}
	root = doc.Content[0]
	l.budget += visitBudget(recordFile(l.files, &doc, file))
	if root.Kind != yaml.MappingNode {
		l.errorAt(root, "", "the top level must be a mapping of keys (e.g. endpoints:), got %s", kindName(root))
		return nil
	}
	l.expandEnv(root, l.env)
	return root
}

func yamlError(file string, err error) *Error {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2], Err: err}
	}
	return &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: "), Err: err}
}

// finalErrors sorts the errors and drops those on a line where a ${ENV}
// reference already failed: they only repeat that problem.
func (l *loader) finalErrors() []*Error {
	type pos struct {
		file string
		line int
	}
	bad := map[pos]bool{}
	for _, e := range l.envErrs {
		bad[pos{e.File, e.Line}] = true
	}
	var out []*Error
	for _, e := range l.errs {
		if bad[pos{e.File, e.Line}] && !slices.Contains(l.envErrs, e) {
			continue
		}
		out = append(out, e)
	}
	sortErrors(out)
	return out
}
