package playbook

// Helpers shared by the playbooks: SDK error classification, parameter
// access, reading hints out of the finding's document, ARNs and clients.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/wardenhq/warden/internal/remediate"
)

// errorCode returns the AWS error code of err ("" when err is not an API
// error).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// accessDeniedCodes are the error codes AWS services use for a missing
// permission (IAM policy, SCP, permission boundary or resource policy).
var accessDeniedCodes = map[string]bool{
	"AccessDenied":           true,
	"AccessDeniedException":  true,
	"UnauthorizedOperation":  true,
	"UnauthorizedAccess":     true,
	"AuthorizationError":     true,
	"NotAuthorized":          true,
	"InvalidAccessException": true, // Security Hub: not subscribed / no access
}

// isAccessDenied reports whether err says the caller lacks a permission.
func isAccessDenied(err error) bool { return accessDeniedCodes[errorCode(err)] }

// callError wraps an SDK error of the call that needed the IAM action
// (e.g. "iam:UpdateAccessKey"). A denied call says so plainly, since the
// fix is in IAM (the role's policy, an SCP), not in a retry.
func callError(action string, err error) error {
	if isAccessDenied(err) {
		return fmt.Errorf("access denied to %s: the remediation role lacks this permission or an SCP, permission boundary or resource policy denies it: %w", action, err)
	}
	return fmt.Errorf("calling %s: %w", action, err)
}

// goneError marks a vanished resource: the run ends without change and is
// not retried.
func goneError(what string, err error) error {
	if err == nil {
		return fmt.Errorf("%s: %w", what, remediate.ErrGone)
	}
	return fmt.Errorf("%s: %w: %w", what, remediate.ErrGone, err)
}

// notApplicable says why a finding names nothing the playbook can act on.
func notApplicable(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), remediate.ErrNotApplicable)
}

// paramString returns a string parameter ("" when unset or not a string).
func paramString(req *remediate.Request, name string) string {
	s, _ := req.Params[name].(string)
	return strings.TrimSpace(s)
}

// paramStrings returns a list parameter; numbers are formatted (ports).
func paramStrings(req *remediate.Request, name string) []string {
	var out []string
	switch l := req.Params[name].(type) {
	case []string:
		out = append(out, l...)
	case []any:
		for _, v := range l {
			switch x := v.(type) {
			case string:
				out = append(out, x)
			case float64:
				out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
			case int:
				out = append(out, strconv.Itoa(x))
			case int64:
				out = append(out, strconv.FormatInt(x, 10))
			case uint64:
				out = append(out, strconv.FormatUint(x, 10))
			}
		}
	case string:
		out = append(out, l)
	}
	return out
}

// paramBool returns a bool parameter, or def when unset.
func paramBool(req *remediate.Request, name string, def bool) bool {
	if b, ok := req.Params[name].(bool); ok {
		return b
	}
	return def
}

// paramInt returns an integer parameter, or def when unset.
func paramInt(req *remediate.Request, name string, def int) int {
	switch n := req.Params[name].(type) {
	case int:
		return n
	case int64:
		return int(n)
	case uint64:
		return int(n)
	case float64:
		return int(n)
	}
	return def
}

// paramDuration parses a duration parameter ("90m", "24h"; a plain number
// is seconds), or returns def when unset.
func paramDuration(req *remediate.Request, name string, def time.Duration) (time.Duration, error) {
	v, ok := req.Params[name]
	if !ok {
		return def, nil
	}
	var d time.Duration
	switch x := v.(type) {
	case string:
		var err error
		if d, err = remediate.ParseDuration(x); err != nil {
			return 0, fmt.Errorf("params.%s: %w", name, err)
		}
	case float64:
		d = time.Duration(x * float64(time.Second))
	case int:
		d = time.Duration(x) * time.Second
	case int64:
		d = time.Duration(x) * time.Second
	default:
		return 0, fmt.Errorf("params.%s: want a duration", name)
	}
	if d <= 0 {
		return 0, fmt.Errorf("params.%s: must be positive", name)
	}
	return d, nil
}

// docTree is the finding's document decoded for lookups. Its values are
// attacker-controlled hints: playbooks read the live state before acting.
type docTree struct{ root any }

func parseDoc(raw json.RawMessage) docTree {
	var v any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &v) // a broken document just gives no hints
	}
	return docTree{root: v}
}

// str returns the first non-empty string at path, descending into every
// element of arrays on the way. Object keys are matched exactly, so keys
// containing '/' or '.' (ProductFields) are one element.
func (d docTree) str(path ...string) string {
	return firstString(d.root, path)
}

// event returns the string at path in the CloudTrail record or GuardDuty
// finding, whether the document is the record itself or an EventBridge
// event wrapping it in "detail".
func (d docTree) event(path ...string) string {
	if s := d.str(path...); s != "" {
		return s
	}
	return d.str(append([]string{"detail"}, path...)...)
}

func firstString(v any, path []string) string {
	if len(path) == 0 {
		switch x := v.(type) {
		case string:
			return x
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok && s != "" {
					return s
				}
			}
		}
		return ""
	}
	switch x := v.(type) {
	case map[string]any:
		return firstString(x[path[0]], path[1:])
	case []any:
		for _, e := range x {
			if s := firstString(e, path); s != "" {
				return s
			}
		}
	}
	return ""
}

// resourceID returns the ID of the request's first resource of type typ.
func resourceID(req *remediate.Request, typ string) string {
	if r, ok := req.Resource(typ); ok {
		return r.ID
	}
	return ""
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// first returns the first non-empty argument.
func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// iamName returns the name of an IAM user or role given as a name or an
// ARN of the wanted kind ("user" or "role"), and the account of the ARN.
// ok is false for an ARN of another kind.
func iamName(s, kind string) (name, account string, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return s, "", s != ""
	}
	a, err := arn.Parse(s)
	if err != nil {
		return "", "", false
	}
	switch {
	case a.Service == "iam" && strings.HasPrefix(a.Resource, kind+"/"):
		return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:], a.AccountID, true
	case a.Service == "sts" && kind == "role" && strings.HasPrefix(a.Resource, "assumed-role/"):
		// arn:aws:sts::ACCT:assumed-role/ROLE/SESSION: the role.
		parts := strings.Split(a.Resource, "/")
		if len(parts) >= 2 && parts[1] != "" {
			return parts[1], a.AccountID, true
		}
	}
	return "", "", false
}

// partition returns the request's partition (default "aws").
func partition(req *remediate.Request) string {
	if req.Partition != "" {
		return req.Partition
	}
	for _, r := range req.Resources {
		if r.Partition != "" {
			return r.Partition
		}
	}
	return "aws"
}

// clock returns the run's clock.
func clock(env *remediate.Env) func() time.Time {
	if env.Now != nil {
		return env.Now
	}
	return time.Now
}

// newS3 builds an S3 client in region (empty: the configuration's). An
// endpoint override (local test endpoints, S3-compatible stores) gets
// path-style addressing, since bucket host names do not resolve there.
func newS3(cfg aws.Config, region string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if region != "" {
			o.Region = region
		}
		if cfg.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
}
