// Package secret resolves secret references from the policy repo:
// env:NAME, file:PATH, ssm:/path (SSM Parameter Store, decrypted) and
// secretsmanager:name (Secrets Manager). Values are never logged; errors
// name the reference, never the value.
package secret

import "context"

// Resolver turns a reference into its value.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (string, error)
}
