package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

const manifestDir = "kubernetes"

// kinds maps apiVersion/kind to the typed object a document decodes into.
// A kind not listed here fails the test: add it with its API type.
var kinds = map[string]func() any{
	"apps/v1/Deployment":                            func() any { return &appsv1.Deployment{} },
	"v1/Service":                                    func() any { return &corev1.Service{} },
	"v1/ConfigMap":                                  func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                                     func() any { return &corev1.Secret{} },
	"autoscaling/v2/HorizontalPodAutoscaler":        func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":                 func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":            func() any { return &networkingv1.NetworkPolicy{} },
	"kustomize.config.k8s.io/v1beta1/Kustomization": func() any { return &kustomization{} },
}

// kustomization is the part of kustomize's Kustomization these manifests
// use; decoding strictly into it catches typos there too.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels,omitempty"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images,omitempty"`
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// documents splits a YAML stream into its documents, dropping those that
// hold only comments or whitespace.
func documents(b []byte) [][]byte {
	var out [][]byte
	for _, d := range docSeparator.Split(string(b), -1) {
		for _, line := range strings.Split(d, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				out = append(out, []byte(d))
				break
			}
		}
	}
	return out
}

// decode decodes one document strictly into the API type of its kind:
// duplicate keys, unknown fields and wrongly cased field names (which
// encoding/json alone would accept) are errors.
func decode(doc []byte) (any, error) {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(j, &tm); err != nil {
		return nil, err
	}
	newObj, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown apiVersion/kind %s/%s", tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	var generic any
	if err := json.Unmarshal(j, &generic); err != nil {
		return nil, err
	}
	if err := exactKeys(generic, reflect.TypeOf(obj), tm.Kind); err != nil {
		return nil, err
	}
	return obj, nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// exactKeys walks v alongside Go type t and reports the first object key
// that is not exactly (case-sensitively) a JSON field name of t.
func exactKeys(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// Types with their own decoding (Quantity, IntOrString, Time) take
	// what they take.
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for k, val := range obj {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("%s: unknown field %q (field names are case-sensitive)", path, k)
			}
			if err := exactKeys(val, ft, path+"."+k); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, _ := v.(map[string]any)
		for k, val := range obj {
			if err := exactKeys(val, t.Elem(), path+"."+k); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		arr, _ := v.([]any)
		for i, val := range arr {
			if err := exactKeys(val, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// collectFields adds t's JSON field names, following inlined and embedded
// structs (TypeMeta, ObjectMeta's neighbours).
func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") || (f.Anonymous && name == "") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			collectFields(ft, into)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
}

// manifests decodes every document of every YAML file in the manifest
// directory, keyed by "file#index".
func manifests(t *testing.T) map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", manifestDir, err)
	}
	out := map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range documents(b) {
			obj, err := decode(doc)
			if err != nil {
				t.Errorf("%s document %d: %v", f, i, err)
				continue
			}
			out[fmt.Sprintf("%s#%d", filepath.Base(f), i)] = obj
		}
	}
	return out
}

// one returns the only object of type T among the manifests.
func one[T any](t *testing.T, all map[string]any) T {
	t.Helper()
	var found []T
	for _, o := range all {
		if x, ok := o.(T); ok {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T, want 1", len(found), zero)
	}
	return found[0]
}

func TestEveryManifestDecodesStrictly(t *testing.T) {
	all := manifests(t)
	var got []string
	for name, o := range all {
		got = append(got, name+" "+reflect.TypeOf(o).Elem().Name())
	}
	sort.Strings(got)
	want := []string{
		"configmap.yaml#0 ConfigMap",
		"deployment.yaml#0 Deployment",
		"hpa.yaml#0 HorizontalPodAutoscaler",
		"kustomization.yaml#0 kustomization",
		"networkpolicy.yaml#0 NetworkPolicy",
		"pdb.yaml#0 PodDisruptionBudget",
		"secret.example.yaml#0 Secret",
		"service.yaml#0 Service",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("manifests (-want +got):\n%s", diff)
	}
}

func TestStrictDecodingCatchesTypos(t *testing.T) {
	const valid = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replicas: 2
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: x
          image: x
          resources:
            limits: {memory: 512Mi}
          securityContext:
            readOnlyRootFilesystem: true
`
	tests := []struct {
		name    string
		doc     string
		wantErr string // "" means it must decode
	}{
		{"a valid Deployment", valid, ""},
		{"a misspelled top-level spec field", strings.Replace(valid, "replicas:", "replcas:", 1), `unknown field "replcas"`},
		{"a field in the wrong case, which encoding/json alone accepts", strings.Replace(valid, "replicas:", "Replicas:", 1), `unknown field "Replicas"`},
		{"a misspelled nested security field", strings.Replace(valid, "readOnlyRootFilesystem", "readOnlyRootFileSystem", 1), `unknown field "readOnlyRootFileSystem"`},
		{"a field at the wrong level", strings.Replace(valid, "          resources:", "          replicas: 3\n          resources:", 1), `unknown field "replicas"`},
		{"a duplicate key", strings.Replace(valid, "  replicas: 2\n", "  replicas: 2\n  replicas: 3\n", 1), `already set`},
		{"a wrong value type", strings.Replace(valid, "replicas: 2", "replicas: two", 1), `cannot unmarshal`},
		{"a misspelled kind", strings.Replace(valid, "kind: Deployment", "kind: Deploymnet", 1), `unknown apiVersion/kind apps/v1/Deploymnet`},
		{"a misspelled kustomization key", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresource:\n  - a.yaml\n", `unknown field "resource"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode([]byte(tt.doc))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("decode: %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("decode error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// deploymentProblems lists every way d falls short of the required
// security and operability posture.
func deploymentProblems(d *appsv1.Deployment) []string {
	var p []string
	pod := d.Spec.Template.Spec
	podNonRoot := pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		p = append(p, "service account token mounted")
	}
	writable := map[string]bool{}
	for _, v := range pod.Volumes {
		if v.EmptyDir != nil || v.PersistentVolumeClaim != nil || v.Ephemeral != nil {
			writable[v.Name] = true
		}
	}
	if len(pod.Containers) == 0 {
		p = append(p, "no containers")
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil {
			p = append(p, c.Name+": no securityContext")
			continue
		}
		if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
			p = append(p, c.Name+": may run as root")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			p = append(p, c.Name+": root filesystem writable")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			p = append(p, c.Name+": privilege escalation allowed")
		}
		if sc.Privileged != nil && *sc.Privileged {
			p = append(p, c.Name+": privileged")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			p = append(p, c.Name+": capabilities not dropped to none")
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
				p = append(p, fmt.Sprintf("%s: no %s request", c.Name, r))
			}
			if q, ok := c.Resources.Limits[r]; !ok || q.IsZero() {
				p = append(p, fmt.Sprintf("%s: no %s limit", c.Name, r))
			}
		}
		p = append(p, probeProblems(c, "liveness", c.LivenessProbe, "/healthz")...)
		p = append(p, probeProblems(c, "readiness", c.ReadinessProbe, "/readyz")...)
		// The SQLite data directory and /tmp must be writable volumes, as
		// the root filesystem is read-only.
		for _, dir := range []string{"/var/lib/fracturecds", "/tmp"} {
			ok := false
			for _, m := range c.VolumeMounts {
				if m.MountPath == dir && writable[m.Name] && !m.ReadOnly {
					ok = true
				}
			}
			if !ok {
				p = append(p, fmt.Sprintf("%s: %s is not a writable volume", c.Name, dir))
			}
		}
	}
	return p
}

func probeProblems(c corev1.Container, kind string, pr *corev1.Probe, path string) []string {
	if pr == nil || pr.HTTPGet == nil {
		return []string{fmt.Sprintf("%s: no HTTP %s probe", c.Name, kind)}
	}
	if pr.HTTPGet.Path != path {
		return []string{fmt.Sprintf("%s: %s probe on %s, want %s", c.Name, kind, pr.HTTPGet.Path, path)}
	}
	if containerPort(c, pr.HTTPGet.Port) != 8080 {
		return []string{fmt.Sprintf("%s: %s probe not on the CDS port 8080", c.Name, kind)}
	}
	return nil
}

// containerPort resolves a named or numbered port of c (0 if unknown).
func containerPort(c corev1.Container, port intstr.IntOrString) int32 {
	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return p.ContainerPort
		}
	}
	return 0
}

func TestDeploymentPosture(t *testing.T) {
	d := one[*appsv1.Deployment](t, manifests(t))
	if p := deploymentProblems(d); len(p) > 0 {
		t.Errorf("deployment.yaml:\n  %s", strings.Join(p, "\n  "))
	}
}

// TestPostureCheckCatchesRegressions weakens the real Deployment one
// setting at a time: the posture check must name each.
func TestPostureCheckCatchesRegressions(t *testing.T) {
	tests := []struct {
		name   string
		weaken func(*appsv1.Deployment)
		want   string
	}{
		{"writable root filesystem", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem = nil
		}, "root filesystem writable"},
		{"privilege escalation", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
		}, "privilege escalation allowed"},
		{"a capability added back", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"}
		}, "capabilities not dropped"},
		{"root allowed", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.SecurityContext.RunAsNonRoot = nil
			d.Spec.Template.Spec.Containers[0].SecurityContext.RunAsNonRoot = nil
		}, "may run as root"},
		{"no memory limit", func(d *appsv1.Deployment) {
			delete(d.Spec.Template.Spec.Containers[0].Resources.Limits, corev1.ResourceMemory)
		}, "no memory limit"},
		{"readiness on the liveness path", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Path = "/healthz"
		}, "readiness probe on /healthz"},
		{"liveness on the admin port", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].LivenessProbe.HTTPGet.Port = intstr.FromString("admin")
		}, "liveness probe not on the CDS port"},
		{"no data volume", func(d *appsv1.Deployment) {
			c := &d.Spec.Template.Spec.Containers[0]
			c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/var/lib/fracturecds" })
		}, "/var/lib/fracturecds is not a writable volume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := one[*appsv1.Deployment](t, manifests(t))
			tt.weaken(d)
			p := deploymentProblems(d)
			if !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Errorf("problems %q, want one containing %q", p, tt.want)
			}
		})
	}
}

func TestServiceExposesOnlyTheCDSPort(t *testing.T) {
	all := manifests(t)
	d := one[*appsv1.Deployment](t, all)
	s := one[*corev1.Service](t, all)
	c := d.Spec.Template.Spec.Containers[0]
	if s.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("Service type %s, want ClusterIP behind the TLS-terminating ingress", s.Spec.Type)
	}
	for _, p := range s.Spec.Ports {
		if got := containerPort(c, p.TargetPort); got != 8080 {
			t.Errorf("Service port %s targets container port %d; only the CDS port 8080 may be public", p.Name, got)
		}
	}
	if diff := cmp.Diff(d.Spec.Selector.MatchLabels, s.Spec.Selector); diff != "" {
		t.Errorf("Service selector differs from the Deployment's (-deployment +service):\n%s", diff)
	}
}

func TestNetworkPolicyRestrictsIngress(t *testing.T) {
	all := manifests(t)
	d := one[*appsv1.Deployment](t, all)
	np := one[*networkingv1.NetworkPolicy](t, all)
	c := d.Spec.Template.Spec.Containers[0]
	if diff := cmp.Diff(d.Spec.Selector.MatchLabels, np.Spec.PodSelector.MatchLabels); diff != "" {
		t.Errorf("NetworkPolicy selects other pods (-deployment +policy):\n%s", diff)
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("policyTypes %v, want Ingress and Egress", np.Spec.PolicyTypes)
	}
	reachable := map[int32][]string{}
	for i, r := range np.Spec.Ingress {
		if len(r.From) == 0 || len(r.Ports) == 0 {
			t.Errorf("ingress rule %d admits every source or every port", i)
		}
		for _, p := range r.Ports {
			for _, f := range r.From {
				if f.IPBlock != nil || f.NamespaceSelector == nil || len(f.NamespaceSelector.MatchLabels) == 0 {
					t.Errorf("ingress rule %d: source not limited to a named namespace", i)
					continue
				}
				reachable[containerPort(c, *p.Port)] = append(reachable[containerPort(c, *p.Port)], f.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
			}
		}
	}
	want := map[int32][]string{8080: {"ingress-nginx"}, 9090: {"monitoring"}}
	if diff := cmp.Diff(want, reachable); diff != "" {
		t.Errorf("who reaches which port (-want +got):\n%s", diff)
	}
}

func TestAutoscalingAndDisruptionBudgetFitTogether(t *testing.T) {
	all := manifests(t)
	d := one[*appsv1.Deployment](t, all)
	hpa := one[*autoscalingv2.HorizontalPodAutoscaler](t, all)
	pdb := one[*policyv1.PodDisruptionBudget](t, all)
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != d.Name {
		t.Errorf("HPA targets %s/%s, want Deployment/%s", hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name, d.Name)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
		t.Error("HPA minReplicas below 2: a single pod makes every node drain an outage")
	}
	// Scaling on CPU utilisation needs a CPU request.
	if _, ok := d.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; !ok {
		t.Error("HPA scales on CPU but the container requests none")
	}
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() >= int(*hpa.Spec.MinReplicas) {
		t.Errorf("PDB minAvailable %v must be below HPA minReplicas %d, or drains block", pdb.Spec.MinAvailable, *hpa.Spec.MinReplicas)
	}
	if diff := cmp.Diff(d.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels); diff != "" {
		t.Errorf("PDB selector (-deployment +pdb):\n%s", diff)
	}
}

func TestConfigMapAndSecretMatchTheDeployment(t *testing.T) {
	all := manifests(t)
	d := one[*appsv1.Deployment](t, all)
	cm := one[*corev1.ConfigMap](t, all)
	sec := one[*corev1.Secret](t, all)
	var cmVolume, secretRef bool
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == cm.Name {
			cmVolume = true
		}
	}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == sec.Name {
			if _, ok := sec.StringData[e.ValueFrom.SecretKeyRef.Key]; !ok {
				t.Errorf("env %s reads key %s, which the example Secret lacks", e.Name, e.ValueFrom.SecretKeyRef.Key)
			}
			secretRef = true
		}
	}
	if !cmVolume {
		t.Errorf("ConfigMap %s is not mounted", cm.Name)
	}
	if !secretRef {
		t.Errorf("Secret %s is not used", sec.Name)
	}
	if _, ok := cm.Data["config.yaml"]; !ok {
		t.Error("ConfigMap has no config.yaml (the --config file)")
	}
}

func TestKustomizationListsEveryManifestButTheSecretExample(t *testing.T) {
	k := one[*kustomization](t, manifests(t))
	files, _ := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && b != "secret.example.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kustomization resources (-want +got):\n%s", diff)
	}
}
