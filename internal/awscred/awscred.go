// Package awscred gives playbooks the AWS configuration of the account a
// finding is in: the engine's own credentials in the engine account, and
// everywhere else temporary credentials of the member-account remediation
// role, obtained with STS AssumeRole (role name template, ExternalId) and
// cached per account and role until shortly before they expire.
//
// A Provider is safe for concurrent use. Its cache lives as long as the
// Provider; the engine keeps one per policy set.
package awscred

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultRoleName is the member-account role assumed when Options.RoleName
// is empty (and the role `warden deploy member-role` creates).
const DefaultRoleName = "WardenRemediation"

// DefaultDuration is the session length asked of STS.
const DefaultDuration = time.Hour

// refreshWindow is how long before expiry cached credentials are renewed,
// so a playbook never starts with credentials about to lapse.
const refreshWindow = 5 * time.Minute

// Options configures a Provider.
type Options struct {
	// Base is the engine's own configuration (its credentials call STS).
	// A Retryer set here is kept; without one, calls use the SDK's
	// standard retryer in adaptive mode, which backs off on throttling.
	Base aws.Config
	// RoleName is the member role's name, optionally with a path
	// ("security/WardenRemediation"); {account_id} and {region} are
	// substituted. Default DefaultRoleName.
	RoleName string
	// ExternalID is passed to AssumeRole when set.
	ExternalID string
	// EngineAccount is the account the engine runs in: no role is assumed
	// there.
	EngineAccount string
	// Duration of assumed-role sessions (default 1h; STS allows 15m up to
	// the role's maximum).
	Duration time.Duration
	// Clock decides when cached credentials have expired (default
	// time.Now).
	Clock func() time.Time
}

// Provider hands out per-account configurations.
type Provider struct {
	o     Options
	mu    sync.Mutex
	roles map[roleKey]*roleCreds
}

type roleKey struct{ account, arn string }

// New returns a Provider.
func New(o Options) *Provider {
	if o.RoleName == "" {
		o.RoleName = DefaultRoleName
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Provider{o: o, roles: map[roleKey]*roleCreds{}}
}

var (
	accountRe  = regexp.MustCompile(`^\d{12}$`)
	regionRe   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	roleNameRe = regexp.MustCompile(`^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
)

// Config returns the configuration for calls in accountID and region. In
// the engine account it is Base in that region; elsewhere it carries the
// member role's credentials, assumed now (or taken from the cache) so an
// error — a missing role, a trust policy without the engine, a wrong
// ExternalId — is returned here, naming the role ARN. sessionName names
// the session in the member account's CloudTrail (see SessionName); the
// credentials are cached per account and role, so later runs reuse the
// session of the run that assumed it.
func (p *Provider) Config(ctx context.Context, accountID, region, sessionName string) (aws.Config, error) {
	if !accountRe.MatchString(accountID) {
		return aws.Config{}, fmt.Errorf("account id %q: want 12 digits", accountID)
	}
	if !regionRe.MatchString(region) {
		return aws.Config{}, fmt.Errorf("region %q is not an AWS region", region)
	}
	cfg := p.o.Base.Copy()
	cfg.Region = region
	if cfg.Retryer == nil {
		cfg.Retryer = adaptiveRetryer
	}
	if accountID == p.o.EngineAccount {
		return cfg, nil
	}
	arn, err := p.RoleARN(accountID, region)
	if err != nil {
		return aws.Config{}, err
	}
	rc := p.role(roleKey{accountID, arn}, region, sessionName)
	if _, err := rc.Retrieve(ctx); err != nil {
		return aws.Config{}, err
	}
	cfg.Credentials = rc
	return cfg, nil
}

// RoleARN returns the ARN of the member role in accountID for region.
func (p *Provider) RoleARN(accountID, region string) (string, error) {
	name := strings.NewReplacer("{account_id}", accountID, "{region}", region).Replace(p.o.RoleName)
	if !roleNameRe.MatchString(name) {
		return "", fmt.Errorf("role name %q (from %q): want letters, digits and +=,.@_- (with an optional path)", name, p.o.RoleName)
	}
	return "arn:" + Partition(region) + ":iam::" + accountID + ":role/" + name, nil
}

func adaptiveRetryer() aws.Retryer { return retry.NewAdaptiveMode() }

// role returns the cached credentials of a role, creating the entry.
func (p *Provider) role(k roleKey, region, sessionName string) *roleCreds {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rc, ok := p.roles[k]; ok {
		return rc
	}
	stsCfg := p.o.Base.Copy()
	if stsCfg.Region == "" {
		stsCfg.Region = region
	}
	if stsCfg.Retryer == nil {
		stsCfg.Retryer = adaptiveRetryer
	}
	if sessionName == "" {
		sessionName = SessionName("", "")
	}
	rc := &roleCreds{arn: k.arn, clock: p.o.Clock,
		assume: stscreds.NewAssumeRoleProvider(sts.NewFromConfig(stsCfg), k.arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = sessionName
			o.Duration = p.o.Duration
			if p.o.ExternalID != "" {
				o.ExternalID = aws.String(p.o.ExternalID)
			}
		})}
	p.roles[k] = rc
	return rc
}

// roleCreds is one role's credentials, renewed through STS when they are
// about to expire. One renewal at a time: callers wait for it.
type roleCreds struct {
	arn    string
	clock  func() time.Time
	assume *stscreds.AssumeRoleProvider

	mu    sync.Mutex
	creds aws.Credentials
	have  bool
}

// Retrieve implements aws.CredentialsProvider.
func (r *roleCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.have && (!r.creds.CanExpire || r.clock().Before(r.creds.Expires.Add(-refreshWindow))) {
		return r.creds, nil
	}
	c, err := r.assume.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, &AssumeError{RoleARN: r.arn, Err: err}
	}
	r.creds, r.have = c, true
	return c, nil
}

// AssumeError is a failed AssumeRole; it names the role.
type AssumeError struct {
	RoleARN string
	Err     error
}

func (e *AssumeError) Error() string {
	return fmt.Sprintf("assuming role %s: %v", e.RoleARN, e.Err)
}

func (e *AssumeError) Unwrap() error { return e.Err }

// IsAssumeError reports whether err is a failed AssumeRole.
func IsAssumeError(err error) bool {
	var ae *AssumeError
	return errors.As(err, &ae)
}

// Partition returns the AWS partition of a region.
func Partition(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-iso-", "aws-iso"},
		{"eu-isoe-", "aws-iso-e"}, {"us-isof-", "aws-iso-f"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// maxSessionName is STS's limit on RoleSessionName.
const maxSessionName = 64

// SessionName is the AssumeRole session name of a run,
// "warden-<rule>-<case>", with characters STS does not allow replaced by
// '-' and the rule part shortened to fit 64 characters (the case id is
// kept whole when it fits: it is what ties CloudTrail to the audit log).
func SessionName(rule, caseID string) string {
	r := sanitize(rule)
	c := sanitize(strings.TrimPrefix(caseID, "warden-"))
	if c == "" {
		c = "run"
	}
	name := "warden-" + c
	if r != "" {
		name = "warden-" + r + "-" + c
	}
	if len(name) <= maxSessionName {
		return name
	}
	if keep := maxSessionName - len("warden--") - len(c); r != "" && keep >= 4 {
		return "warden-" + r[:keep] + "-" + c
	}
	return name[:maxSessionName]
}

// sanitize keeps [\w+=,.@-] and replaces the rest with '-'.
func sanitize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("_+=,.@-", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
