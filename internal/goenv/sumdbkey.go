package goenv

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"

	"golang.org/x/mod/sumdb/note"
)

// knownKeysFile is where the go command's source declares the verifier
// keys of the checksum databases it knows by name (modfetch's
// knownGOSUMDB map): the toolchain's default database is one of them, and
// GOSUMDB may then name it without its key.
const knownKeysFile = "src/cmd/go/internal/modfetch/key.go"

// SumDBKey returns the verifier key ("name+hash+key") with which go checks
// db's signed answers: the key GOSUMDB gives, or, for the toolchain's
// default database named without one, the key go has built in, read from
// the toolchain's own source ($GOROOT/src/cmd/go/internal/modfetch/key.go)
// so that gofast follows whatever key that toolchain trusts rather than a
// copy of its own.
func (s *Settings) SumDBKey(db *SumDB) (string, error) {
	if db == nil {
		return "", fmt.Errorf("checksum database disabled by GOSUMDB=off")
	}
	if db.Key != "" {
		return db.Key, nil
	}
	file := filepath.Join(s.GOROOT, filepath.FromSlash(knownKeysFile))
	key, err := knownKey(file, db.Name)
	if err != nil {
		return "", fmt.Errorf("verifier key of checksum database %s: %w", db.Name, err)
	}
	return key, nil
}

// knownKey reads the key of database name from the knownGOSUMDB map
// literal of the go source file file, and checks that it is a verifier key
// of that name.
func knownKey(file, name string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	var key string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || key != "" {
			return key == ""
		}
		for i, id := range vs.Names {
			if id.Name != "knownGOSUMDB" || i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.CompositeLit)
			if !ok {
				continue
			}
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				k, v := stringLit(kv.Key), stringLit(kv.Value)
				if k == name && v != "" {
					key = v
				}
			}
		}
		return false
	})
	if key == "" {
		return "", fmt.Errorf("%s: no key for %s", file, name)
	}
	v, err := note.NewVerifier(key)
	if err != nil || v.Name() != name {
		return "", fmt.Errorf("%s: %q is not a verifier key of %s", file, key, name)
	}
	return key, nil
}

// stringLit returns the value of a string literal expression, or "".
func stringLit(e ast.Expr) string {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return ""
	}
	s, err := strconv.Unquote(b.Value)
	if err != nil {
		return ""
	}
	return s
}
