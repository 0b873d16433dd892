// Package jsonscan checks and skips JSON values in place, without
// decoding them: the fast paths of the request and prefetch decoding
// (hooks.splitRequest, fhir's hand-written resource decoders) find where a
// value ends with it, and fall back to a real decoder for anything it
// refuses. It accepts exactly the JSON grammar (RFC 8259), with invalid
// UTF-8 inside strings, as encoding/json does. Standard library only.
//
// Every function takes the input and an index and returns the index after
// what it read, or -1 when the input there is not what it reads. They work
// on a local index, not on a struct, which the compiler then keeps in a
// register: that halved their time.
package jsonscan
