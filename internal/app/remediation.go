package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/act"
	"github.com/wardenhq/warden/internal/awscred"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/secret"
)

// RemediationCreds returns the credentials of remediation runs: the
// policy's remediation.role_name assumed in the finding's account (with
// remediation.external_id, which may be a secret reference), the engine's
// own credentials in remediation.engine_account.
func RemediationCreds(ctx context.Context, ps *policy.Set, engine func(context.Context) (aws.Config, error), secrets secret.Resolver) (act.CredsFunc, error) {
	rs := ps.Settings.Remediation
	extID := rs.ExternalID
	if secret.IsRef(extID) {
		v, err := secrets.Resolve(ctx, extID)
		if err != nil {
			return nil, fmt.Errorf("remediation.external_id: %w", err)
		}
		extID = v
	}
	var (
		mu sync.Mutex
		p  *awscred.Provider
	)
	provider := func(ctx context.Context) (*awscred.Provider, error) {
		mu.Lock()
		defer mu.Unlock()
		if p == nil {
			base, err := engine(ctx)
			if err != nil {
				return nil, err
			}
			p = awscred.New(awscred.Options{Base: base, RoleName: rs.RoleName, ExternalID: extID, EngineAccount: rs.EngineAccount})
		}
		return p, nil
	}
	return func(ctx context.Context, accountID, region, session string) (aws.Config, error) {
		p, err := provider(ctx)
		if err != nil {
			return aws.Config{}, err
		}
		return p.Config(ctx, accountID, region, session)
	}, nil
}
