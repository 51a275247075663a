package playbook

import "github.com/wardenhq/warden/internal/remediate"

// The application registers playbooks explicitly
// (internal/app/register.go); the tests of this package register them
// for remediate.Get.
func init() {
	for _, p := range []remediate.Playbook{
		CloudTrailRestartLogging{}, EC2Isolate{}, HTTPRequest{}, IAMDeactivateAccessKey{}, IAMQuarantinePrincipal{},
		RootUserActivity{}, S3BlockPublicAccess{}, SecurityHubUpdate{}, SGRevokeWorldIngress{}, SSMCaptureMemory{},
	} {
		remediate.Register(p)
	}
}
