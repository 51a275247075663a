package playbook

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// IAMDeactivateAccessKey sets an exposed or misused IAM user access key to
// Inactive. It confirms the key against IAM first: the key must be one of
// the user's keys (ListAccessKeys) and Active; an Inactive key is left
// alone. The key is the parameter access_key_id, else the AwsIamAccessKey
// resource, else the key named in the finding (GuardDuty accessKeyDetails,
// Trusted Advisor "Access Key ID", CloudTrail userIdentity). The user is
// the parameter user_name, else the AwsIamUser resource or the user the
// finding names, else the key's owner according to GetAccessKeyLastUsed.
//
// Only long-term user keys (AKIA…) can be deactivated; temporary
// credentials (ASIA…) are ended by quarantining their role
// (iam-quarantine-principal), and root keys only by the root user.
type IAMDeactivateAccessKey struct{}

// Name implements remediate.Playbook.
func (IAMDeactivateAccessKey) Name() string { return "iam-deactivate-access-key" }

var accessKeyIDRe = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)

// Run implements remediate.Playbook.
func (IAMDeactivateAccessKey) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	doc := parseDoc(req.Doc)
	keyID, err := accessKeyTarget(req, doc)
	if err != nil {
		return err
	}
	user, err := accessKeyUser(req, doc)
	if err != nil {
		return err
	}
	client := iam.NewFromConfig(env.AWS)

	if user == "" {
		err := rec.Step("resolve-key-owner", false, func(s *remediate.Step) error {
			s.Request = map[string]any{"operation": "iam:GetAccessKeyLastUsed", "access_key_id": keyID}
			out, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
			if err != nil {
				if errorCode(err) == "NoSuchEntity" {
					return goneError("access key "+keyID+" no longer exists", err)
				}
				return callError("iam:GetAccessKeyLastUsed", err)
			}
			user = aws.ToString(out.UserName)
			if user == "" {
				return fmt.Errorf("IAM names no owner for access key %s", keyID)
			}
			s.After = map[string]any{"user_name": user, "last_used": keyLastUsed(out.AccessKeyLastUsed)}
			s.Detail = "access key " + keyID + " belongs to user " + user
			return nil
		})
		if err != nil {
			return err
		}
	}

	var key *iamtypes.AccessKeyMetadata
	err = rec.Step("read-access-keys", false, func(s *remediate.Step) error {
		s.Request = map[string]any{"operation": "iam:ListAccessKeys", "user_name": user}
		var keys []map[string]any
		p := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: aws.String(user)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				if errorCode(err) == "NoSuchEntity" {
					return goneError("IAM user "+user+" no longer exists", err)
				}
				return callError("iam:ListAccessKeys", err)
			}
			for i := range out.AccessKeyMetadata {
				k := out.AccessKeyMetadata[i]
				keys = append(keys, map[string]any{"access_key_id": aws.ToString(k.AccessKeyId), "status": string(k.Status), "created": fmtTime(k.CreateDate)})
				if aws.ToString(k.AccessKeyId) == keyID {
					key = &k
				}
			}
		}
		s.Before = keys
		if key == nil {
			return goneError(fmt.Sprintf("access key %s is not a key of IAM user %s: it was deleted, or the finding names the wrong user", keyID, user), nil)
		}
		s.Detail = fmt.Sprintf("access key %s of user %s is %s", keyID, user, key.Status)
		return nil
	})
	if err != nil {
		return err
	}
	rec.Evidence("access_key", map[string]any{"access_key_id": keyID, "user_name": user, "status_before": string(key.Status), "created": fmtTime(key.CreateDate)})

	return rec.Step("deactivate-access-key", true, func(s *remediate.Step) error {
		s.Before = map[string]any{"status": string(key.Status)}
		if key.Status == iamtypes.StatusTypeInactive {
			s.Status, s.Detail = remediate.StepUnchanged, "access key "+keyID+" is already Inactive"
			return nil
		}
		s.Request = map[string]any{"operation": "iam:UpdateAccessKey", "user_name": user, "access_key_id": keyID, "status": "Inactive"}
		if env.DryRun {
			s.Status, s.Detail = remediate.StepWouldChange, "would set access key "+keyID+" of user "+user+" to Inactive"
			return nil
		}
		_, err := client.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID), Status: iamtypes.StatusTypeInactive})
		if err != nil {
			if errorCode(err) == "NoSuchEntity" {
				return goneError("access key "+keyID+" was deleted before it could be deactivated", err)
			}
			return callError("iam:UpdateAccessKey", err)
		}
		s.After = map[string]any{"status": "Inactive"}
		s.Status, s.Detail = remediate.StepChanged, "access key "+keyID+" of user "+user+" set to Inactive"
		rec.Rollback(fmt.Sprintf("aws iam update-access-key --user-name %s --access-key-id %s --status Active", user, keyID))
		rec.Note(fmt.Sprintf("Access key %s of IAM user %s is Inactive. Give its legitimate workloads a new key, delete %s once nothing depends on it, and review what it did (CloudTrail LookupEvents with AccessKeyId=%s).", keyID, user, keyID, keyID))
		return nil
	})
}

// accessKeyTarget finds the key id and refuses keys this playbook cannot
// deactivate.
func accessKeyTarget(req *remediate.Request, doc docTree) (string, error) {
	k := first(paramString(req, "access_key_id"),
		strings.TrimPrefix(resourceID(req, "AwsIamAccessKey"), "AWS::IAM::AccessKey:"),
		doc.event("resource", "accessKeyDetails", "accessKeyId"),
		doc.str("ProductFields", "aws/trustedadvisor/check-item-detail/Access Key ID"),
		doc.event("check-item-detail", "Access Key ID"),
		doc.event("userIdentity", "accessKeyId"))
	switch {
	case k == "":
		return "", notApplicable("the finding names no access key (no AwsIamAccessKey resource, no access key id in the finding, no access_key_id parameter)")
	case !accessKeyIDRe.MatchString(k):
		return "", notApplicable("%q is not an access key id", k)
	case strings.HasPrefix(k, "ASIA"):
		return "", notApplicable("%s is a temporary credential (ASIA…): it cannot be deactivated; revoke its role's sessions with iam-quarantine-principal", k)
	case !strings.HasPrefix(k, "AKIA"):
		return "", notApplicable("%s is not an IAM user access key (AKIA…)", k)
	}
	return k, nil
}

// accessKeyUser returns the key's user as the parameters or the finding
// name it ("" when they do not), refusing the root user.
func accessKeyUser(req *remediate.Request, doc docTree) (string, error) {
	if u := paramString(req, "user_name"); u != "" {
		return u, nil
	}
	if id := resourceID(req, "AwsIamUser"); id != "" {
		name, acct, ok := iamName(id, "user")
		if ok && (acct == "" || req.AccountID == "" || acct == req.AccountID) {
			return name, nil
		}
	}
	typ := first(doc.event("resource", "accessKeyDetails", "userType"),
		doc.str("Resources", "Details", "AwsIamAccessKey", "PrincipalType"),
		doc.event("userIdentity", "type"))
	name := first(doc.event("resource", "accessKeyDetails", "userName"),
		doc.str("Resources", "Details", "AwsIamAccessKey", "PrincipalName"),
		doc.str("Resources", "Details", "AwsIamAccessKey", "UserName"),
		doc.str("ProductFields", "aws/trustedadvisor/check-item-detail/User Name (IAM or Root)"),
		doc.event("check-item-detail", "User Name (IAM or Root)"),
		doc.event("userIdentity", "userName"))
	if strings.EqualFold(typ, "Root") || strings.EqualFold(name, "<root_account>") || (typ == "" && strings.EqualFold(name, "root")) {
		return "", notApplicable("the key belongs to the root user: only the root user can deactivate root access keys (sign in as root and delete them)")
	}
	if typ != "" && typ != "IAMUser" {
		return "", nil // a role or federated principal: let IAM name the owner
	}
	if name != "" {
		return name, nil
	}
	if n, acct, ok := iamName(req.Actor, "user"); ok && strings.HasPrefix(req.Actor, "arn:") && (req.AccountID == "" || acct == req.AccountID) {
		return n, nil
	}
	return "", nil
}

func keyLastUsed(u *iamtypes.AccessKeyLastUsed) map[string]any {
	if u == nil {
		return nil
	}
	m := map[string]any{"service": aws.ToString(u.ServiceName), "region": aws.ToString(u.Region)}
	if u.LastUsedDate != nil {
		m["date"] = fmtTime(u.LastUsedDate)
	}
	return m
}
