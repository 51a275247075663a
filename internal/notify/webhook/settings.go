package webhook

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
)

// Settings reads a receiver's `config` map from receivers.yaml (decoded
// from YAML through JSON: strings, float64, bool, []any, map[string]any).
// Every error names the setting; none quotes the value of a secret
// setting. The HTTP receivers (slack, teams, webhook, pagerduty) share it.
type Settings map[string]any

// Check reports the first setting (in name order) that is not in known.
func (s Settings) Check(known ...string) error {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(known, k) {
			sorted := append([]string(nil), known...)
			sort.Strings(sorted)
			return fmt.Errorf("setting %s: unknown (known: %s)", k, strings.Join(sorted, ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// String returns a string setting, "" when it is absent.
func (s Settings) String(key string) (string, error) {
	v, ok := s[key]
	if !ok || v == nil {
		return "", nil
	}
	str, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("setting %s: must be a string, not %s", key, kind(v))
	}
	return str, nil
}

// Ref returns a setting that must be a secret reference (env:NAME,
// file:PATH, ssm:/path, secretsmanager:name), "" when it is absent. An
// inline value is an error that does not repeat the value.
func (s Settings) Ref(key string) (string, error) {
	v, ok := s[key]
	if !ok || v == nil {
		return "", nil
	}
	str, ok := v.(string)
	if !ok || !policy.SecretRef(str) {
		return "", fmt.Errorf("setting %s: is a secret: give it by reference (env:NAME, file:PATH, ssm:/path, secretsmanager:name), never inline", key)
	}
	return str, nil
}

// StringMap returns a map of strings (e.g. extra HTTP headers), nil when
// it is absent.
func (s Settings) StringMap(key string) (map[string]string, error) {
	v, ok := s[key]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("setting %s: must be a map of strings, not %s", key, kind(v))
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		str, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("setting %s.%s: must be a string, not %s", key, k, kind(e))
		}
		out[k] = str
	}
	return out, nil
}

// IsRef reports whether v is a secret reference.
func IsRef(v string) bool { return policy.SecretRef(v) }

func kind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
