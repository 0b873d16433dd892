package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// configProblems is every problem found in a configuration, each in
// config-key terms ("fhir.budget: want a duration such as 2s"), so that an
// operator fixes them all after one run instead of one per run.
type configProblems []string

func (p configProblems) Error() string {
	return "invalid configuration:\n  - " + strings.Join(p, "\n  - ")
}

// checkKeys walks a YAML mapping against the configuration struct type t
// and reports, with line numbers, every key the program does not know and
// every value of the wrong kind. yaml.v3's own errors stop at the first
// unknown key and name Go types ("field x not found in type main.Config",
// "cannot unmarshal !!str into time.Duration"), which an operator cannot
// map back to the file. Values are never quoted: storage.postgres_url may
// hold a password.
func checkKeys(n *yaml.Node, t reflect.Type, path string) []string {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // an empty section ("auth:") keeps the defaults
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Duration]() && !reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
		if n.Kind != yaml.MappingNode {
			return []string{fmt.Sprintf("line %d: %s: want %s", n.Line, keyOrTop(path), wantOf(t))}
		}
		fields := yamlFields(t)
		var problems []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				problems = append(problems, fmt.Sprintf("line %d: unknown key %s%s", k.Line, joinKey(path, k.Value), suggestKey(path, k.Value, fields)))
				continue
			}
			problems = append(problems, checkKeys(v, f.Type, joinKey(path, k.Value))...)
		}
		return problems
	}
	if t.Kind() == reflect.Slice && isConfigStruct(t.Elem()) {
		if n.Kind != yaml.SequenceNode {
			return []string{fmt.Sprintf("line %d: %s: want %s", n.Line, path, wantOf(t))}
		}
		var problems []string
		for i, item := range n.Content {
			problems = append(problems, checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return problems
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		return []string{fmt.Sprintf("line %d: %s: want %s", n.Line, path, wantOf(t))}
	}
	return nil
}

// isConfigStruct reports whether t is a section checkKeys walks into.
func isConfigStruct(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Duration]() && !reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]())
}

// wantOf says, in an operator's words, what kind of value t takes.
func wantOf(t reflect.Type) string {
	if t == reflect.TypeFor[time.Duration]() {
		return "a duration such as 2s, 500ms or 1h30m"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a single value (text)"
	case reflect.Slice:
		if isConfigStruct(t.Elem()) {
			return "a list of mappings (each item starts with -)"
		}
		return "a list (one \"- value\" per line, or [a, b])"
	case reflect.Map:
		return "a mapping of key: value lines"
	case reflect.Struct:
		return "a mapping of key: value lines"
	}
	return "a different kind of value"
}

// yamlFields maps the YAML key of each field of struct t to the field.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

// configKeyPaths lists every key of the configuration struct t, as
// dotted paths with [] for list items ("auth.issuers[].iss"); sections are
// listed as well as their keys.
func configKeyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for name, f := range yamlFields(t) {
		p := joinKey(prefix, name)
		out = append(out, p)
		ft := f.Type
		switch {
		case isConfigStruct(ft):
			out = append(out, configKeyPaths(ft, p)...)
		case ft.Kind() == reflect.Slice && isConfigStruct(ft.Elem()):
			out = append(out, configKeyPaths(ft.Elem(), p+"[]")...)
		}
	}
	slices.Sort(out)
	return out
}

// suggestKey proposes the key an unknown key was probably meant to be: a
// near spelling among its siblings, or the same key in another section
// ("budget" at the top is fhir.budget).
func suggestKey(path, key string, siblings map[string]reflect.StructField) string {
	best, bestD := "", 3
	for name := range siblings {
		if d := editDistance(key, name); d < bestD || d == bestD && name < best {
			best, bestD = name, d
		}
	}
	if best != "" && bestD <= 2 {
		return " (did you mean " + joinKey(path, best) + "?)"
	}
	// A shortened key: jwks for jwks_url.
	var prefixed []string
	for name := range siblings {
		if len(key) >= 3 && strings.HasPrefix(name, key) {
			prefixed = append(prefixed, joinKey(path, name))
		}
	}
	if len(prefixed) > 0 {
		slices.Sort(prefixed)
		return " (did you mean " + strings.Join(prefixed, " or ") + "?)"
	}
	for _, p := range configKeyPaths(reflect.TypeFor[Config](), "") {
		if strings.HasSuffix(p, "."+key) {
			return " (did you mean " + p + "?)"
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of two short keys.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func keyOrTop(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}
