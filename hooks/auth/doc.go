// Package auth verifies the JWTs CDS clients (EHRs) sign for every call,
// per CDS Hooks 2.0.1 §Trusting CDS Clients: an allow-list of issuers, their
// JWK Sets (a file exchanged out of band, or a URL fetched, cached and
// refreshed), asymmetric algorithms only, the exact endpoint URL as aud,
// bounded lifetimes and a replay store that accepts each jti once.
//
// Keys in a JWK Set are judged one by one: a key the service cannot use
// safely (RSA below 2048 bits, an unknown kty or crv, private material, no
// kid) is dropped and named, and the rest of the set is used, so one stale
// key does not lock an EHR out.
//
// The replay store is an interface: MemoryReplayStore serves one replica;
// several replicas share a database table (package hooks/store). Package
// hooks adapts the Authenticator to gin; this package knows nothing of HTTP
// routing.
package auth
