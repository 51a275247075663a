package playbook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// SGRevokeWorldIngress removes the inbound rules of a security group that
// are open to the whole internet (0.0.0.0/0 or ::/0), optionally only
// those reaching given ports. It revokes exactly the world ranges: other
// sources of the same rule (a corporate CIDR, another group) stay. It
// reads the group live first, so a finding about a rule that is already
// gone changes nothing, and reads it again afterwards to verify.
type SGRevokeWorldIngress struct{}

// Name implements remediate.Playbook.
func (SGRevokeWorldIngress) Name() string { return "sg-revoke-world-ingress" }

// Run implements remediate.Playbook.
func (SGRevokeWorldIngress) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	gid, more, err := resolveSecurityGroup(req, env.AWS.Region)
	if err != nil {
		return err
	}
	ports, err := parsePorts(paramStrings(req, "ports"))
	if err != nil {
		return notApplicable("params.ports: %v", err)
	}
	if len(more) > 0 {
		rec.Note(fmt.Sprintf("The finding also names %s; this run changes %s only.", strings.Join(more, ", "), gid))
	}
	client := ec2.NewFromConfig(env.AWS)
	var changes []string

	var group *ec2types.SecurityGroup
	err = rec.Step("describe-security-group", false, func(s *remediate.Step) error {
		s.Request = map[string]any{"operation": "ec2:DescribeSecurityGroups", "group_ids": []string{gid}}
		g, err := describeGroup(ctx, client, gid)
		if err != nil {
			return err
		}
		if req.AccountID != "" && aws.ToString(g.OwnerId) != "" && aws.ToString(g.OwnerId) != req.AccountID {
			return notApplicable("security group %s belongs to account %s, not the finding's %s", gid, aws.ToString(g.OwnerId), req.AccountID)
		}
		group = g
		s.After = permissionRules(g.IpPermissions)
		s.Detail = fmt.Sprintf("%s (%s) in %s: %d inbound permission set(s)", gid, aws.ToString(g.GroupName), aws.ToString(g.VpcId), len(g.IpPermissions))
		return nil
	})
	if err != nil {
		return ec2Failure(err, changes)
	}

	err = rec.Step("revoke-world-ingress", true, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		s.Before = permissionRules(group.IpPermissions)
		var revoke, restore []ec2types.IpPermission
		for _, p := range group.IpPermissions {
			if w, ok := worldOnly(p); ok && ports.overlap(p) {
				revoke, restore = append(revoke, w), append(restore, worldRanges(p))
			}
		}
		if len(revoke) == 0 {
			s.Status, s.After = remediate.StepUnchanged, s.Before
			s.Detail = "no inbound rule open to 0.0.0.0/0 or ::/0" + ports.String()
			return nil
		}
		rules := permissionRules(revoke)
		calls.add("ec2:RevokeSecurityGroupIngress", "group_id", gid, "ip_permissions", rules, "dry_run", env.DryRun)
		err := ec2Write(env.DryRun, "ec2:RevokeSecurityGroupIngress", func(dry *bool) error {
			_, err := client.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(gid), IpPermissions: revoke, DryRun: dry})
			return err
		})
		if err != nil {
			if isGoneCode(errorCode(err)) {
				return goneError("security group "+gid, err)
			}
			if errorCode(err) == "InvalidPermission.NotFound" {
				return fmt.Errorf("%w (the group's rules changed since they were read; run again)", err)
			}
			return err
		}
		if env.DryRun {
			s.Status, s.Detail = remediate.StepWouldChange, "would revoke "+strings.Join(rules, ", ")
			return nil
		}
		changes = append(changes, fmt.Sprintf("revoked %s from %s", strings.Join(rules, ", "), gid))
		if b, err := json.Marshal(cliPermissions(restore)); err == nil {
			rec.Rollback(fmt.Sprintf("aws ec2 authorize-security-group-ingress --group-id %s --ip-permissions %s", gid, rollbackQuote(string(b))))
		}
		// Verify, as AWS recommends: read the group again.
		calls.add("ec2:DescribeSecurityGroups", "group_ids", []string{gid})
		g, err := describeGroup(ctx, client, gid)
		if err != nil {
			return fmt.Errorf("verifying: %w", err)
		}
		s.After = permissionRules(g.IpPermissions)
		var left []ec2types.IpPermission
		for _, p := range g.IpPermissions {
			if w, ok := worldOnly(p); ok && ports.overlap(p) {
				left = append(left, w)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("after RevokeSecurityGroupIngress the group still allows %s", strings.Join(permissionRules(left), ", "))
		}
		s.Status, s.Detail = remediate.StepChanged, "revoked "+strings.Join(rules, ", ")
		return nil
	})
	return ec2Failure(err, changes)
}

// describeGroup reads one security group; a missing group is ErrGone.
func describeGroup(ctx context.Context, c *ec2.Client, gid string) (*ec2types.SecurityGroup, error) {
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{gid}})
	if err != nil {
		if isGoneCode(errorCode(err)) {
			return nil, goneError("security group "+gid, err)
		}
		return nil, callError("ec2:DescribeSecurityGroups", err)
	}
	for i := range out.SecurityGroups {
		if aws.ToString(out.SecurityGroups[i].GroupId) == gid {
			return &out.SecurityGroups[i], nil
		}
	}
	return nil, goneError("security group "+gid+" (not returned by DescribeSecurityGroups)", nil)
}

// isWorld reports whether cidr is a /0: all of IPv4 or IPv6.
func isWorld(cidr string) bool {
	p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
	return err == nil && p.Bits() == 0
}

// worldOnly returns the part of p that is open to the world (its /0
// ranges, without descriptions), and whether there is one.
func worldOnly(p ec2types.IpPermission) (ec2types.IpPermission, bool) {
	w := worldRanges(p)
	for i := range w.IpRanges {
		w.IpRanges[i].Description = nil
	}
	for i := range w.Ipv6Ranges {
		w.Ipv6Ranges[i].Description = nil
	}
	return w, len(w.IpRanges)+len(w.Ipv6Ranges) > 0
}

// worldRanges is p reduced to its /0 ranges, descriptions kept.
func worldRanges(p ec2types.IpPermission) ec2types.IpPermission {
	w := ec2types.IpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
	for _, r := range p.IpRanges {
		if isWorld(aws.ToString(r.CidrIp)) {
			w.IpRanges = append(w.IpRanges, ec2types.IpRange{CidrIp: r.CidrIp, Description: r.Description})
		}
	}
	for _, r := range p.Ipv6Ranges {
		if isWorld(aws.ToString(r.CidrIpv6)) {
			w.Ipv6Ranges = append(w.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: r.CidrIpv6, Description: r.Description})
		}
	}
	return w
}

// revocable returns p with only what identifies its rules (no
// descriptions), for a revoke call.
func revocable(p ec2types.IpPermission) ec2types.IpPermission {
	w := ec2types.IpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
	for _, r := range p.IpRanges {
		w.IpRanges = append(w.IpRanges, ec2types.IpRange{CidrIp: r.CidrIp})
	}
	for _, r := range p.Ipv6Ranges {
		w.Ipv6Ranges = append(w.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: r.CidrIpv6})
	}
	for _, r := range p.PrefixListIds {
		w.PrefixListIds = append(w.PrefixListIds, ec2types.PrefixListId{PrefixListId: r.PrefixListId})
	}
	for _, r := range p.UserIdGroupPairs {
		w.UserIdGroupPairs = append(w.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: r.GroupId, UserId: r.UserId})
	}
	return w
}

// allTraffic reports whether p covers every protocol.
func allTraffic(p ec2types.IpPermission) bool {
	proto := strings.ToLower(aws.ToString(p.IpProtocol))
	return proto == "-1" || proto == "all"
}

// permissionRules flattens permissions into one readable rule per source:
// "tcp 22-22 from 0.0.0.0/0", "all from ::/0", "tcp 443-443 from sg-1".
func permissionRules(perms []ec2types.IpPermission) []string {
	out := []string{}
	for _, p := range perms {
		what := strings.ToLower(aws.ToString(p.IpProtocol))
		switch {
		case allTraffic(p):
			what = "all"
		case p.FromPort != nil || p.ToPort != nil:
			what += fmt.Sprintf(" %d-%d", aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort))
		}
		for _, r := range p.IpRanges {
			out = append(out, what+" from "+aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, what+" from "+aws.ToString(r.CidrIpv6))
		}
		for _, r := range p.PrefixListIds {
			out = append(out, what+" from "+aws.ToString(r.PrefixListId))
		}
		for _, r := range p.UserIdGroupPairs {
			out = append(out, what+" from "+aws.ToString(r.GroupId))
		}
	}
	return out
}

// cliPermission is the AWS CLI's --ip-permissions shape, for rollback.
type cliPermission struct {
	IpProtocol string              `json:"IpProtocol"`
	FromPort   *int32              `json:"FromPort,omitempty"`
	ToPort     *int32              `json:"ToPort,omitempty"`
	IpRanges   []map[string]string `json:"IpRanges,omitempty"`
	Ipv6Ranges []map[string]string `json:"Ipv6Ranges,omitempty"`
}

func cliPermissions(perms []ec2types.IpPermission) []cliPermission {
	out := make([]cliPermission, 0, len(perms))
	for _, p := range perms {
		c := cliPermission{IpProtocol: aws.ToString(p.IpProtocol), FromPort: p.FromPort, ToPort: p.ToPort}
		for _, r := range p.IpRanges {
			m := map[string]string{"CidrIp": aws.ToString(r.CidrIp)}
			if r.Description != nil {
				m["Description"] = aws.ToString(r.Description)
			}
			c.IpRanges = append(c.IpRanges, m)
		}
		for _, r := range p.Ipv6Ranges {
			m := map[string]string{"CidrIpv6": aws.ToString(r.CidrIpv6)}
			if r.Description != nil {
				m["Description"] = aws.ToString(r.Description)
			}
			c.Ipv6Ranges = append(c.Ipv6Ranges, m)
		}
		out = append(out, c)
	}
	return out
}

// portRange is an inclusive port range.
type portRange struct{ from, to int32 }

// portSet is the ports parameter; empty means every port (and every
// protocol).
type portSet []portRange

// parsePorts reads "22", "3389", "8000-8080" (numbers are accepted too).
func parsePorts(vals []string) (portSet, error) {
	var out portSet
	for _, v := range vals {
		v = strings.TrimSpace(v)
		lo, hi, isRange := strings.Cut(v, "-")
		from, err1 := strconv.ParseInt(strings.TrimSpace(lo), 10, 32)
		to, err2 := from, error(nil)
		if isRange {
			to, err2 = strconv.ParseInt(strings.TrimSpace(hi), 10, 32)
		}
		if err1 != nil || err2 != nil || from < 0 || to > 65535 || from > to {
			return nil, fmt.Errorf("%q is not a port or port range (0-65535, e.g. 22 or 8000-8080)", v)
		}
		out = append(out, portRange{int32(from), int32(to)})
	}
	return out, nil
}

// overlap reports whether the permission reaches any of the ports. With
// no ports given every permission does. Otherwise all-traffic rules
// always do, TCP and UDP rules when their range meets one of the ports,
// and rules of other protocols (ICMP, …), which have no ports, never.
func (ps portSet) overlap(p ec2types.IpPermission) bool {
	if len(ps) == 0 || allTraffic(p) {
		return true
	}
	switch strings.ToLower(aws.ToString(p.IpProtocol)) {
	case "tcp", "udp", "6", "17":
	default:
		return false
	}
	from, to := int32(0), int32(65535)
	if p.FromPort != nil && aws.ToInt32(p.FromPort) >= 0 {
		from = aws.ToInt32(p.FromPort)
	}
	if p.ToPort != nil && aws.ToInt32(p.ToPort) >= 0 {
		to = aws.ToInt32(p.ToPort)
	}
	for _, r := range ps {
		if r.from <= to && from <= r.to {
			return true
		}
	}
	return false
}

func (ps portSet) String() string {
	if len(ps) == 0 {
		return ""
	}
	var parts []string
	for _, r := range ps {
		if r.from == r.to {
			parts = append(parts, strconv.Itoa(int(r.from)))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", r.from, r.to))
		}
	}
	return " on port(s) " + strings.Join(parts, ", ")
}
