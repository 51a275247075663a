package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// WriteRepo writes a policy repo with nRules rules for the generated
// organisation into dir: 200 accounts in 5 environments and 2 business
// units, 4 receivers, the built-in detections, and rules of the shapes a
// real repo has (control ids, product and type prefixes, severities,
// resource types, scoped by environment, OU, group and region; one in ten
// an accepted risk).
func WriteRepo(dir string, nRules int, seed uint64) error {
	rnd := rand.New(rand.NewPCG(seed, 7))
	var acc strings.Builder
	acc.WriteString("accounts:\n")
	for i := 0; i < NumAccounts; i++ {
		env := environments[i%len(environments)]
		bu := []string{"payments", "data-platform"}[i%2]
		fmt.Fprintf(&acc, "  - {id: %q, name: acct-%03d, environment: %s, business_unit: %s, ou: /Root/Workloads/%s/%s, owner: team-%d@example.com, tags: {cost-center: \"%d\"}}\n",
			AccountID(i), i, env, bu, env, bu, i%20, 1000+i%7)
	}
	acc.WriteString("groups:\n  pci:\n    accounts: [acct-000, acct-002, acct-004]\n  all-prod:\n    select: {environment: [prod]}\n")
	files := map[string]string{
		"warden.yaml":   "version: 1\ndetections: {builtin: true}\ndefault: {tier: 3, notify: [security-team]}\n",
		"accounts.yaml": acc.String(),
		"receivers.yaml": `receivers:
  - {name: security-team, type: email, config: {to: [security@example.com], from: warden@example.com, smtp_host: smtp.example.com}}
  - {name: soc-pager, type: pagerduty, config: {routing_key: env:PD_ROUTING_KEY}}
  - {name: payments-slack, type: slack, config: {webhook_url: env:SLACK_PAYMENTS}}
  - {name: data-slack, type: slack, config: {webhook_url: env:SLACK_DATA}}
`,
	}
	var rules strings.Builder
	rules.WriteString("rules:\n")
	scopes := []string{
		"",
		"accounts: {environment: [prod]}, ",
		"accounts: {environment: [dev, sandbox]}, ",
		"accounts: {business_unit: [payments]}, ",
		"accounts: {group: [pci]}, ",
		"accounts: {ou: [/Root/Workloads/staging]}, ",
		"regions: [us-east-1, eu-west-1], ",
		"exclude: {accounts: {environment: [sandbox]}}, ",
	}
	receivers := []string{"soc-pager", "payments-slack", "data-slack", "security-team"}
	for i := 0; i < nRules; i++ {
		scope := scopes[rnd.IntN(len(scopes))]
		var pat string
		switch rnd.IntN(7) {
		case 0:
			c := controls[rnd.IntN(len(controls))]
			pat = fmt.Sprintf("{Compliance: {SecurityControlId: [%q], Status: [FAILED]}}", c.id)
		case 1:
			pat = fmt.Sprintf("{ProductName: [GuardDuty], Types: [{prefix: %q}]}", "TTPs/"+[]string{"Command and Control", "Initial Access", "Discovery", "Exfiltration"}[rnd.IntN(4)])
		case 2:
			pat = fmt.Sprintf("{Severity: {Label: [%s]}, Resources: {Type: [%s]}}", []string{"CRITICAL", "HIGH", "MEDIUM"}[rnd.IntN(3)], controls[rnd.IntN(len(controls))].resType)
		case 3:
			pat = fmt.Sprintf("{GeneratorId: [{prefix: %q}], Severity: {Label: [{anything-but: [LOW, INFORMATIONAL]}]}}", "security-control/"+controls[rnd.IntN(len(controls))].id)
		case 4:
			pat = fmt.Sprintf("{ProductName: [Warden], GeneratorId: [%q]}", "warden/detection/builtin.x"+fmt.Sprint(i))
		case 5:
			// A wildcard is narrowed by an exact condition, as real rules
			// are ("this product's findings whose title says X").
			pat = fmt.Sprintf("{ProductName: [%s], Title: [{wildcard: %q}]}", []string{"GuardDuty", "Inspector", "Macie"}[rnd.IntN(3)], fmt.Sprintf("*%s*", []string{"Bitcoin", "PortProbe", "Exfiltration", "CVE-2024-"}[rnd.IntN(4)]))
		default:
			pat = fmt.Sprintf("{Resources: {Id: [{prefix: %q}]}, Compliance: {Status: [FAILED]}}", fmt.Sprintf("arn:aws:ec2:us-east-1:%s:", AccountID(rnd.IntN(NumAccounts))))
		}
		action := fmt.Sprintf("notify: [%s]", receivers[rnd.IntN(len(receivers))])
		if i%10 == 9 {
			action = "suppress: {reason: accepted, owner: o@example.com, ticket: RISK-1, approved_by: ciso@example.com, expires: 2099-12-31}"
		} else if i%10 == 5 {
			action = "tier: 2, notify: [soc-pager]"
		}
		fmt.Fprintf(&rules, "  - {id: r%05d, match: {%sfinding: %s}, %s}\n", i, scope, pat, action)
	}
	files["rules/generated.yaml"] = rules.String()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}
