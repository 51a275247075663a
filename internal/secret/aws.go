package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// ErrNotFound is wrapped by errors for a parameter or secret that does
// not exist.
var ErrNotFound = errors.New("not found")

// ssmAPI and smAPI are the calls this package makes.
type ssmAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

type smAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// awsClients builds the SSM and Secrets Manager clients once, from the
// first configuration the loader returns.
type awsClients struct {
	load func(ctx context.Context) (aws.Config, error)

	mu  sync.Mutex
	ssm ssmAPI
	sm  smAPI
}

func newAWSClients(load func(ctx context.Context) (aws.Config, error)) *awsClients {
	return &awsClients{load: load}
}

func (a *awsClients) clients(ctx context.Context) (ssmAPI, smAPI, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ssm != nil {
		return a.ssm, a.sm, nil
	}
	if a.load == nil {
		return nil, nil, errors.New("no AWS configuration: AWS references cannot be resolved here")
	}
	cfg, err := a.load(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	a.ssm, a.sm = ssm.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg)
	return a.ssm, a.sm, nil
}

// ssmParameter reads a (SecureString) parameter, decrypted. name is a
// path, a name or an ARN; an ARN's region is used for the call.
func (a *awsClients) ssmParameter(ctx context.Context, name string) (string, error) {
	c, _, err := a.clients(ctx)
	if err != nil {
		return "", err
	}
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)},
		func(o *ssm.Options) { o.Region = arnRegion(name, o.Region) })
	if err != nil {
		if apiCode(err) == "ParameterNotFound" {
			return "", fmt.Errorf("SSM parameter %s: %w", name, ErrNotFound)
		}
		return "", fmt.Errorf("reading SSM parameter %s: %w", name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("SSM parameter %s has no value", name)
	}
	return *out.Parameter.Value, nil
}

// secretValue reads secretsmanager:name[#key]: the secret string, or one
// field of it when it is a JSON object and a key is given.
func (a *awsClients) secretValue(ctx context.Context, ref string) (string, error) {
	id, key, hasKey := strings.Cut(ref, "#")
	if hasKey && key == "" {
		return "", errors.New("empty JSON key after #")
	}
	_, c, err := a.clients(ctx)
	if err != nil {
		return "", err
	}
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)},
		func(o *secretsmanager.Options) { o.Region = arnRegion(id, o.Region) })
	if err != nil {
		if apiCode(err) == "ResourceNotFoundException" {
			return "", fmt.Errorf("secret %s: %w", id, ErrNotFound)
		}
		return "", fmt.Errorf("reading secret %s from Secrets Manager: %w", id, err)
	}
	var v string
	switch {
	case out.SecretString != nil:
		v = *out.SecretString
	case out.SecretBinary != nil:
		v = string(out.SecretBinary)
	}
	if !hasKey {
		return v, nil
	}
	return jsonField(v, key)
}

// jsonField picks key from a JSON object. Its errors never quote the
// document (a decoder error would show part of the secret).
func jsonField(doc, key string) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil || m == nil {
		return "", fmt.Errorf("secret is not a JSON object, so it has no key %q", key)
	}
	raw, ok := m[key]
	if !ok {
		return "", fmt.Errorf("secret has no key %q", key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return strconv.FormatBool(b), nil
	}
	return "", fmt.Errorf("secret key %q is not a string, number or boolean", key)
}

// arnRegion returns the region of an ARN, or def for a plain name.
func arnRegion(s, def string) string {
	if !strings.HasPrefix(s, "arn:") {
		return def
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) == 6 && parts[3] != "" {
		return parts[3]
	}
	return def
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
