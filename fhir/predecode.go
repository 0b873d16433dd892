package fhir

// Predecoded holds prefetch values decoded while the request body was
// read (hooks.splitRequest), so that the bytes of the largest values are
// scanned once, by their decoder, instead of once to find where they end
// and again to decode them: about a tenth of a typical request's CPU
// (README "Performance"). Only the keys with a hand-written decoder are
// held; gather decodes the others, and any key whose decoder refused, as
// before. The zero value holds none; a nil *Predecoded is valid.
type Predecoded struct {
	bundles map[string]any // key -> *bundleOf[PT] of the key's type
}

// DecodeValue decodes the value of prefetch key at body[start:] with the
// hand-written decoder of its resource type, keeps it, and returns the
// index after the value. ok is false when the key has no such decoder or
// the decoder refused the value (it may still be valid JSON): the caller
// then reads the value itself, and nothing is kept for the key (a key
// sent twice counts with its last value, as in the prefetch map).
//
// What is kept does not point into body: its strings are copies.
func (p *Predecoded) DecodeValue(key string, body []byte, start int) (end int, ok bool) {
	switch key {
	case KeyLabs, KeyDXA:
		end = predecode[observation](p, key, body, start)
	case KeyConditions:
		end = predecode[condition](p, key, body, start)
	case KeyMedicationStatements:
		end = predecode[medicationStatement](p, key, body, start)
	default:
		return 0, false
	}
	if end < 0 {
		delete(p.bundles, key)
		return 0, false
	}
	return end, true
}

func predecode[T any, PT decodable[T]](p *Predecoded, key string, body []byte, start int) int {
	b := new(bundleOf[PT])
	end := decodeBundleAt(body, start, b)
	if end >= 0 {
		if p.bundles == nil {
			p.bundles = make(map[string]any, 4)
		}
		p.bundles[key] = b
	}
	return end
}

// Len returns how many prefetch values are held.
func (p *Predecoded) Len() int {
	if p == nil {
		return 0
	}
	return len(p.bundles)
}

// bundle returns the kept value of key, nil for none.
func (p *Predecoded) bundle(key string) any {
	if p == nil {
		return nil
	}
	return p.bundles[key]
}

// fastOr returns the Bundle decoder for decodeOnePass: one that hands over
// pre when it holds the key's decoded value, else the hand-written one.
func fastOr[T any, PT decodable[T]](pre any) func([]byte, *bundleOf[PT]) bool {
	if b, ok := pre.(*bundleOf[PT]); ok {
		return func(_ []byte, dst *bundleOf[PT]) bool {
			*dst = *b
			return true
		}
	}
	return decodeBundleFast[T, PT]
}
