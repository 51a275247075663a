package sns

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Message formats.
const (
	FormatText = "text" // the sns.text template (default)
	FormatJSON = "json" // the notify.Message as JSON
)

// Config is the receiver's `config` in receivers.yaml.
type Config struct {
	// TopicArn is the topic published to.
	TopicArn string `yaml:"topic_arn"`
	// Region is the topic's region (default: the one in TopicArn).
	Region string `yaml:"region"`
	// Subject, when set, is the subject of every message instead of the
	// sns.subject template.
	Subject string `yaml:"subject"`
	// Format is text (default) or json.
	Format string `yaml:"format"`
}

var knownKeys = map[string]bool{"topic_arn": true, "region": true, "subject": true, "format": true}

// parseConfig reads and checks the settings; each error names its
// setting.
func parseConfig(m map[string]any) (Config, error) {
	var (
		c       Config
		errs    []error
		unknown []string
	)
	for k := range m {
		if !knownKeys[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("%s: unknown setting", k))
	}
	str := func(key string) string {
		v, ok := m[key]
		if !ok || v == nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: want a string, got %T", key, v))
		}
		return strings.TrimSpace(s)
	}
	c.TopicArn, c.Region, c.Subject, c.Format = str("topic_arn"), str("region"), str("subject"), strings.ToLower(str("format"))
	if c.Format == "" {
		c.Format = FormatText
	}
	switch region, err := arnRegion(c.TopicArn); {
	case c.TopicArn == "":
		errs = append(errs, errors.New("topic_arn: required"))
	case err != nil:
		errs = append(errs, fmt.Errorf("topic_arn: %w", err))
	case c.Region == "":
		c.Region = region
	}
	if c.Format != FormatText && c.Format != FormatJSON {
		errs = append(errs, fmt.Errorf("format: %q is neither text nor json", c.Format))
	}
	return c, errors.Join(errs...)
}

// arnRegion checks a topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME)
// and returns its region.
func arnRegion(arn string) (string, error) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[2] != "sns" || p[3] == "" || len(p[4]) != 12 || p[5] == "" {
		return "", fmt.Errorf("%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", arn)
	}
	return p[3], nil
}

// fifo reports whether the topic is a FIFO topic.
func (c *Config) fifo() bool { return strings.HasSuffix(c.TopicArn, ".fifo") }
