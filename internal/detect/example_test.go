package detect_test

import (
	"fmt"

	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/finding"
)

// A detection is an EventBridge pattern over the event envelope plus what
// the finding looks like; the key groups repeated events into one finding.
func ExampleEngine_Detect() {
	src := []byte(`
detections:
  - id: acme.kms-key-deletion
    title: "KMS key {detail.requestParameters.keyId} scheduled for deletion by {actor}"
    severity: HIGH
    types: ["Effects/Data Destruction/KMS key scheduled for deletion"]
    match:
      detail:
        eventSource: [kms.amazonaws.com]
        eventName: [ScheduleKeyDeletion]
        errorCode: [{exists: false}]
    resource: {type: AwsKmsKey, id: detail.requestParameters.keyId}
    key: [detail.requestParameters.keyId]
`)
	rules, err := detect.ParseFile("detections/kms.yaml", src)
	if err != nil {
		panic(err)
	}
	e, err := detect.New(rules)
	if err != nil {
		panic(err)
	}
	event := []byte(`{"version": "0", "id": "0f6d1c1e", "detail-type": "AWS API Call via CloudTrail",
		"source": "aws.kms", "account": "111122223333", "time": "2024-03-01T10:00:00Z", "region": "eu-west-1",
		"resources": [], "detail": {"eventSource": "kms.amazonaws.com", "eventName": "ScheduleKeyDeletion",
		"eventTime": "2024-03-01T10:00:00Z", "awsRegion": "eu-west-1", "recipientAccountId": "111122223333",
		"userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory"},
		"requestParameters": {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "pendingWindowInDays": 7}}}`)
	findings, err := e.Detect(event, finding.Origin{Source: "example"}, nil)
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Println(f.ID)
		fmt.Println(f.Title)
		fmt.Println(f.Severity, f.Resources[0].Type, f.Resources[0].ID)
	}
	// Output:
	// arn:aws:warden:eu-west-1:111122223333:detection/acme.kms-key-deletion/1234abcd-12ab-34cd-56ef-1234567890ab
	// KMS key 1234abcd-12ab-34cd-56ef-1234567890ab scheduled for deletion by arn:aws:iam::111122223333:user/mallory
	// HIGH AwsKmsKey 1234abcd-12ab-34cd-56ef-1234567890ab
}
