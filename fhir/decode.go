package fhir

import (
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

// decodeAs decodes one FHIR resource into samply's R4 type T in one pass,
// as r4.UnmarshalObservation and its siblings do (samply's resource types
// have no UnmarshalJSON of their own), but with unmarshal's codec.
func decodeAs[T any](raw []byte) (T, error) {
	var v T
	err := unmarshal(raw, &v)
	return v, err
}
