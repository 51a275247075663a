package secret

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Reference schemes.
const (
	SchemeEnv            = "env"
	SchemeFile           = "file"
	SchemeSSM            = "ssm"
	SchemeSecretsManager = "secretsmanager"
)

// DefaultTTL is how long a resolved value is kept when Options.TTL is 0.
const DefaultTTL = 5 * time.Minute

// Options configures a Cache.
type Options struct {
	// AWS returns the SDK configuration for ssm: and secretsmanager:
	// references. Nil makes those references an error.
	AWS func(ctx context.Context) (aws.Config, error)
	// BaseDir is what relative file: paths are relative to (the policy
	// repo); "" means the working directory.
	BaseDir string
	// TTL is how long a value is reused before it is read again
	// (default DefaultTTL). Rotated secrets are picked up after it.
	TTL time.Duration
	// Clock returns the time (default time.Now).
	Clock func() time.Time
	// LookupEnv reads environment variables (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// Cache resolves references and keeps each value for the TTL. Callers
// asking for one reference at the same time share one read. A failed read
// is not kept: the next call tries again. It is safe for concurrent use.
type Cache struct {
	opts Options
	aws  *awsClients

	mu      sync.Mutex
	entries map[string]*entry
}

var _ Resolver = (*Cache)(nil)

type entry struct {
	done    chan struct{} // closed when val/err are set
	val     string
	err     error
	expires time.Time
}

// New returns a Cache.
func New(opts Options) *Cache {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = lookupEnv
	}
	return &Cache{opts: opts, aws: newAWSClients(opts.AWS), entries: map[string]*entry{}}
}

// IsRef reports whether s is a secret reference (env:, file:, ssm: or
// secretsmanager: followed by a name) rather than a literal value.
func IsRef(s string) bool {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return false
	}
	switch scheme {
	case SchemeEnv, SchemeFile, SchemeSSM, SchemeSecretsManager:
		return true
	}
	return false
}

// Resolve implements Resolver. Errors name the reference and the cause,
// never the value.
func (c *Cache) Resolve(ctx context.Context, ref string) (string, error) {
	if !IsRef(ref) {
		return "", notRef(ref)
	}
	for {
		e, leader := c.claim(ref)
		if leader {
			e.val, e.err = c.read(ctx, ref)
			if e.err != nil {
				e.err = fmt.Errorf("resolving secret %s: %w", ref, e.err)
				e.val = ""
			}
			e.expires = c.opts.Clock().Add(c.opts.TTL)
			c.mu.Lock()
			if e.err != nil && c.entries[ref] == e {
				delete(c.entries, ref) // failures are not cached
			}
			c.mu.Unlock()
			close(e.done)
			return e.val, e.err
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return "", fmt.Errorf("resolving secret %s: %w", ref, ctx.Err())
		}
		// The leader's context ending is not our failure: try again.
		if e.err != nil && isContextErr(e.err) && ctx.Err() == nil {
			continue
		}
		return e.val, e.err
	}
}

// claim returns the entry for ref: a fresh or in-flight one to wait on,
// or a new one the caller must fill (leader).
func (c *Cache) claim(ref string) (e *entry, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[ref]; ok {
		select {
		case <-e.done:
			if c.opts.Clock().Before(e.expires) {
				return e, false
			}
		default:
			return e, false // in flight
		}
	}
	e = &entry{done: make(chan struct{})}
	c.entries[ref] = e
	return e, true
}

func (c *Cache) read(ctx context.Context, ref string) (string, error) {
	scheme, name, _ := strings.Cut(ref, ":")
	var (
		v   string
		err error
	)
	switch scheme {
	case SchemeEnv:
		v, err = c.env(name)
	case SchemeFile:
		v, err = c.file(name)
	case SchemeSSM:
		v, err = c.aws.ssmParameter(ctx, name)
	case SchemeSecretsManager:
		v, err = c.aws.secretValue(ctx, name)
	}
	if err == nil && v == "" {
		err = errors.New("the secret is empty")
	}
	return v, err
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// notRef explains that ref is not a reference without printing it: a
// literal in a secret setting may be a pasted secret.
func notRef(string) error {
	return errors.New("resolving secret: the value is not a reference (want env:NAME, file:PATH, ssm:/path or secretsmanager:name[#key])")
}
