package deploy

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// goMemLimitBytes reads a GOMEMLIMIT value in the runtime's syntax (a
// number with an optional B, KiB, MiB, GiB or TiB suffix), which is the
// Kubernetes quantity syntax with a trailing B.
func goMemLimitBytes(v string) (int64, bool) {
	v = strings.TrimSuffix(v, "B")
	if strings.ContainsAny(v, "kKMGTPE") && !strings.HasSuffix(v, "i") {
		return 0, false // the runtime knows only binary suffixes
	}
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return 0, false
	}
	return q.Value(), true
}

// TestGOMEMLIMITIsAboutNinetyPercentOfTheMemoryLimit: at 100 % the Go
// heap may grow until the kernel kills the pod (stacks, SQLite's cache and
// the rest of RSS are outside it); at about 90 % the collector works first.
func TestGOMEMLIMITIsAboutNinetyPercentOfTheMemoryLimit(t *testing.T) {
	d := one[*appsv1.Deployment](t, manifests(t))
	for _, c := range d.Spec.Template.Spec.Containers {
		limit := c.Resources.Limits.Memory().Value()
		var env *corev1.EnvVar
		for i := range c.Env {
			if c.Env[i].Name == "GOMEMLIMIT" {
				env = &c.Env[i]
			}
		}
		if env == nil || env.ValueFrom != nil {
			t.Fatalf("%s: GOMEMLIMIT must be a literal value (a resourceFieldRef is 100 %% of the limit)", c.Name)
		}
		got, ok := goMemLimitBytes(env.Value)
		if !ok {
			t.Fatalf("%s: GOMEMLIMIT %q is not in the Go runtime's syntax", c.Name, env.Value)
		}
		if pct := float64(got) / float64(limit) * 100; pct < 85 || pct > 95 {
			t.Errorf("%s: GOMEMLIMIT %s is %.1f %% of limits.memory %s, want 85-95 %%", c.Name, env.Value, pct, c.Resources.Limits.Memory())
		}
	}
	for v, want := range map[string]int64{"460MiB": 460 << 20, "1GiB": 1 << 30, "123456": 123456} {
		if got, ok := goMemLimitBytes(v); !ok || got != want {
			t.Errorf("goMemLimitBytes(%q) = %d %v, want %d", v, got, ok, want)
		}
	}
	if _, ok := goMemLimitBytes("460M"); ok {
		t.Error("goMemLimitBytes accepts a decimal suffix the Go runtime refuses")
	}
}

// TestStatedMinimumKubernetesVersionCoversTheFeaturesUsed: the manifests
// state the Kubernetes version they need (kustomization.yaml and the
// README say the same), and that version has every feature they use.
func TestStatedMinimumKubernetesVersionCoversTheFeaturesUsed(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(manifestDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Requires Kubernetes >= 1\.(\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("kustomization.yaml does not state the minimum Kubernetes version")
	}
	minor, _ := strconv.Atoi(string(m[1]))
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "Kubernetes 1."+string(m[1])+" or later") {
		t.Errorf("README does not state the same minimum (Kubernetes 1.%s or later)", m[1])
	}
	// Each feature with the first minor version that has it on by default.
	d := one[*appsv1.Deployment](t, manifests(t))
	need := map[string]int{}
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			need["preStop sleep action"] = 30
		}
	}
	need["autoscaling/v2 HorizontalPodAutoscaler"] = 23
	need["kubernetes.io/metadata.name namespace label"] = 22
	for feature, v := range need {
		if minor < v {
			t.Errorf("the manifests use the %s (Kubernetes 1.%d), but state 1.%d", feature, v, minor)
		}
	}
}

// TestExternalPostgresNetworkPolicyExample: the example for a database
// outside the cluster decodes strictly and is the shipped policy with one
// change: PostgreSQL is reached by a single address block on 5432 instead
// of by pod label; no other egress is opened.
func TestExternalPostgresNetworkPolicyExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(manifestDir, "examples", "networkpolicy-external-postgres.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := documents(b)
	if len(docs) != 1 {
		t.Fatalf("%d documents, want 1", len(docs))
	}
	obj, err := decode(docs[0])
	if err != nil {
		t.Fatal(err)
	}
	ext, ok := obj.(*networkingv1.NetworkPolicy)
	if !ok {
		t.Fatalf("a %T, want a NetworkPolicy", obj)
	}
	shipped := one[*networkingv1.NetworkPolicy](t, manifests(t))
	isPostgres := func(r networkingv1.NetworkPolicyEgressRule) bool {
		return len(r.Ports) == 1 && r.Ports[0].Port != nil && r.Ports[0].Port.IntValue() == 5432
	}
	strip := func(np *networkingv1.NetworkPolicy) (*networkingv1.NetworkPolicy, []networkingv1.NetworkPolicyEgressRule) {
		c := np.DeepCopy()
		var pg []networkingv1.NetworkPolicyEgressRule
		var rest []networkingv1.NetworkPolicyEgressRule
		for _, r := range c.Spec.Egress {
			if isPostgres(r) {
				pg = append(pg, r)
			} else {
				rest = append(rest, r)
			}
		}
		c.Spec.Egress = rest
		return c, pg
	}
	extRest, extPG := strip(ext)
	shippedRest, shippedPG := strip(shipped)
	if diff := cmp.Diff(shippedRest, extRest); diff != "" {
		t.Errorf("the example differs from networkpolicy.yaml beyond the PostgreSQL rule (-shipped +example):\n%s", diff)
	}
	if len(shippedPG) != 1 || len(shippedPG[0].To) != 1 || shippedPG[0].To[0].PodSelector == nil {
		t.Errorf("networkpolicy.yaml: want one PostgreSQL rule by pod label, got %+v", shippedPG)
	}
	if len(extPG) != 1 || len(extPG[0].To) == 0 {
		t.Fatalf("example: want one PostgreSQL rule with a destination, got %+v", extPG)
	}
	for _, to := range extPG[0].To {
		if to.IPBlock == nil || to.PodSelector != nil || to.NamespaceSelector != nil {
			t.Errorf("example: PostgreSQL destination %+v is not an address block", to)
			continue
		}
		_, n, err := net.ParseCIDR(to.IPBlock.CIDR)
		if err != nil {
			t.Errorf("example: cidr %q: %v", to.IPBlock.CIDR, err)
			continue
		}
		if ones, _ := n.Mask.Size(); ones < 24 {
			t.Errorf("example: cidr %s opens port 5432 to more than a subnet", to.IPBlock.CIDR)
		}
	}
}
