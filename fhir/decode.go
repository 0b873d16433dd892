package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	gojson "github.com/goccy/go-json"
)

// unmarshal decodes request and FHIR-server JSON with goccy/go-json
// instead of encoding/json. Decoding was most of a request's CPU (every
// prefetch byte is read for the key's state, the Bundle, each entry's
// header and the typed resource); goccy/go-json reads the same
// encoding/json struct tags and Unmarshaler methods (samply's enum codes)
// 3-4x faster on these payloads (ecosystem.md §3). Like encoding/json it
// rejects malformed input, so an error still means "not this shape".
func unmarshal(data []byte, v any) error {
	return gojson.Unmarshal(data, v)
}

// decodeAs decodes one FHIR resource into T with decodeResource.
func decodeAs[T any](raw []byte) (T, error) {
	var v T
	err := decodeResource(raw, &v)
	return v, err
}

// decodeResource decodes one resource into v, a pointer to one of the
// small structs (or a samply type), tolerating the shapes real senders
// use where R4 says otherwise: one object where R4 says array (the CDS
// Hooks Sandbox sends MedicationRequest.category and others as one
// object), a lone value where R4 says array, and an array of exactly one
// object where R4 says one object. Elements the struct does not hold are
// never read, so they can never make a resource unreadable.
//
// The common case, JSON as R4 has it, costs one goccy/go-json decode.
// Only when that fails is the resource read as generic JSON, reshaped to
// v's type (reshape) and decoded again with encoding/json, whose error
// names the element that still does not fit (elementOf): that resource
// is then set aside with the element named, never guessed at.
func decodeResource(data []byte, v any) error {
	if unmarshal(data, v) == nil {
		return nil
	}
	dst := reflect.ValueOf(v).Elem()
	dst.SetZero() // the failed decode may have filled a part
	var doc any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return err // not JSON at all
	}
	doc = reshape(doc, dst.Type())
	reshaped, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(reshaped, v); err != nil {
		dst.SetZero()
		if elementOf(err) == "" {
			err = blame(doc, dst.Type(), err)
		}
		return err
	}
	if r, ok := v.(interface{ keepRaw([]byte) }); ok {
		r.keepRaw(data) // the JSON as received, not as reshaped
	}
	return nil
}

// reshape rewrites the generic JSON value doc towards the shape of Go
// type t: a lone value where t is a slice becomes a one-element array,
// and a one-element array where t is a struct becomes its element.
// Members t does not hold, and leaves (strings, numbers, json.RawMessage,
// types with their own UnmarshalJSON such as samply's codes), are left
// as they are; an array of several objects where t is one struct is left
// too, because picking one would be a guess.
func reshape(doc any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if doc == nil || isLeaf(t) {
		return doc
	}
	switch t.Kind() {
	case reflect.Slice:
		a, ok := doc.([]any)
		if !ok {
			a = []any{doc}
		}
		for i := range a {
			a[i] = reshape(a[i], t.Elem())
		}
		return a
	case reflect.Struct:
		if a, ok := doc.([]any); ok && len(a) == 1 {
			doc = a[0]
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return doc
		}
		for name, ft := range fieldsOf(t) {
			if x, ok := m[name]; ok {
				m[name] = reshape(x, ft)
			}
		}
		return m
	}
	return doc
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	numberType      = reflect.TypeFor[json.Number]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// isLeaf reports whether t is decoded as a whole: raw JSON, a number kept
// as written, or a non-struct type with its own UnmarshalJSON (samply's
// codes, presence). A struct with its own UnmarshalJSON (medicationRequest)
// still has its members reshaped: its method decodes the same members.
func isLeaf(t reflect.Type) bool {
	if t == rawMessageType || t == numberType {
		return true
	}
	return t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerType)
}

// fieldCache holds fieldsOf's result per struct type.
var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// fieldsOf returns the JSON member names of struct type t with their Go
// types, as encoding/json sees them: embedded structs' members promoted,
// an outer member shadowing an embedded one of the same name.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	for _, et := range embedded {
		for name, ft := range fieldsOf(et) {
			if _, shadowed := fields[name]; !shadowed {
				fields[name] = ft
			}
		}
	}
	fieldCache.Store(t, fields)
	return fields
}

// elementError is a decoding error that encoding/json reported without
// naming the element (a malformed number), with the member found to
// cause it.
type elementError struct {
	member string
	err    error
}

func (e *elementError) Error() string { return e.member + ": " + e.err.Error() }
func (e *elementError) Unwrap() error { return e.err }

// blame finds the top-level member of doc that alone fails to decode into
// t, so that the error names an element; err as it is when none does.
func blame(doc any, t reflect.Type, err error) error {
	m, ok := doc.(map[string]any)
	if !ok {
		return err
	}
	fields := fieldsOf(t)
	names := slices.Sorted(maps.Keys(fields)) // the same member named every time
	for _, name := range names {
		x, ok := m[name]
		if !ok {
			continue
		}
		one, merr := json.Marshal(map[string]any{name: x})
		if merr != nil {
			continue
		}
		if json.Unmarshal(one, reflect.New(t).Interface()) != nil {
			return &elementError{member: name, err: err}
		}
	}
	return err
}

// elementOf names the element a decoding error is about ("valueQuantity"
// or "dosage.timing.repeat.frequency"), "" when the error names none (the
// JSON is malformed). Only member names, never values.
func elementOf(err error) string {
	var field string
	var std *json.UnmarshalTypeError
	var goccy *gojson.UnmarshalTypeError
	var blamed *elementError
	switch {
	case errors.As(err, &blamed):
		field = blamed.member
	case errors.As(err, &std):
		field = std.Field
	case errors.As(err, &goccy):
		field = goccy.Field
	}
	// goccy/go-json names array indices ("dosageInstruction.0.timing")
	// and encoding/json the Go names of embedded structs ("header.id"):
	// an element is named by its FHIR path alone.
	var path []string
	for part := range strings.SplitSeq(field, ".") {
		switch {
		case part == "" || strings.Trim(part, "0123456789") == "" || embeddedNames[part]:
		case part == "dosage" && len(path) > 0 && path[len(path)-1] == "dosageInstruction":
			// requestDosage embeds dosage
		default:
			path = append(path, part)
		}
	}
	return strings.Join(path, ".")
}

// embeddedNames are the Go names of the structs the small structs embed,
// which no FHIR element is called.
var embeddedNames = map[string]bool{"header": true, "entryHeader": true, "dosageTiming": true, "quantity": true, "plain": true}
