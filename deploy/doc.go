// Package deploy holds the Kubernetes manifests (deploy/kubernetes) and
// the example configuration (deploy/config.example.yaml) of fracturecds.
// It has no code: its tests decode every manifest strictly into the
// Kubernetes API types and check the security posture, so a typo or a
// weakened setting fails CI.
package deploy
